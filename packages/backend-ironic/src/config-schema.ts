/**
 * Config of a `type: ironic` backend (docs/config-reference.md is made from it). `description` and `default` are annotations
 * for docs/config-reference.md; the defaults themselves live in the code that reads each key.
 */
const str = (description: string) => ({ type: 'string', minLength: 1, description });
const strings = (description: string) => ({ type: 'array', items: { type: 'string', minLength: 1 }, description });
const PASSWORD = 'The password (never logged).';

/** One `then` per auth type: exact keys, so a typo is named rather than ignored. */
const AUTH_TYPES: Record<string, { description: string; required: string[]; properties: Record<string, unknown> }> = {
  noauth: { description: 'A standalone Ironic with `auth_strategy = noauth`.', required: [], properties: {} },
  http_basic: {
    description: 'A standalone Ironic with `auth_strategy = http_basic` (an htpasswd file on the server).',
    required: ['username', 'password'],
    properties: { username: str('The user of the htpasswd file.'), password: str(PASSWORD) },
  },
  keystone: {
    description:
      "Ironic behind Keystone: a password or an application credential buys a token; Ironic's URL is `ironic.url`, else the token catalog's " +
      '`baremetal` endpoint.',
    required: ['auth_url'],
    properties: {
      auth_url: str("Keystone's URL, with or without the trailing `/v3`."),
      username: str('The user, with `password`.'),
      password: str(PASSWORD),
      user_domain_name: str("The user's domain (default: the domain with id `default`)."),
      project_name: str('The project the token is scoped to.'),
      project_domain_name: str("The project's domain (default: the domain with id `default`)."),
      application_credential_id: str('An application credential instead of a user and project (it is scoped already).'),
      application_credential_secret: str("The application credential's secret (never logged)."),
      region_name: str('Picks the catalog endpoint when several regions offer `baremetal`.'),
      interface: { enum: ['public', 'internal', 'admin'], default: 'public', description: 'The catalog endpoint interface.' },
    },
  },
  clouds_yaml: {
    description: 'A named cloud of a clouds.yaml file, mapped to one of the modes above by its `auth_type`.',
    required: ['cloud'],
    properties: {
      cloud: str("The cloud's name under `clouds`."),
      file: str(
        'The clouds.yaml file (default: `./clouds.yaml`, `$HOME/.config/openstack/clouds.yaml`, `/etc/openstack/clouds.yaml`). A relative path is ' +
          "relative to the config file's directory.",
      ),
    },
  },
};

const auth = {
  type: 'object',
  required: ['type'],
  default: { type: 'noauth' },
  description: 'How requests to Ironic authenticate.',
  properties: { type: { enum: Object.keys(AUTH_TYPES), description: 'The auth mode; it decides the other keys.' } },
  allOf: Object.entries(AUTH_TYPES).map(([type, { description, required, properties }]) => ({
    if: { properties: { type: { const: type } } },
    then: { description, required, additionalProperties: false, properties: { type: {}, ...properties } },
  })),
};

const imageStore = {
  type: 'object',
  required: ['type'],
  description:
    "Where heavy stemcells' `root.img` is uploaded so that Ironic's conductors can fetch it. Without one, only light stemcells (`image_url`) can be created.",
  properties: { type: { enum: ['webdav', 'file'], description: 'The kind of store; it decides the other keys.' } },
  allOf: [
    {
      if: { properties: { type: { const: 'webdav' } } },
      then: {
        description: 'An HTTP server that takes PUT and DELETE (nginx with `dav_methods`, Apache mod_dav, ...).',
        required: ['url'],
        additionalProperties: false,
        properties: {
          type: {},
          url: str('The collection images go to; also the URL Ironic fetches them from.'),
          username: str('Basic-auth user.'),
          password: str(PASSWORD),
          ca_file: str("A PEM bundle of the CAs that sign the store's certificate. A relative path is relative to the config file's directory."),
          insecure: { type: 'boolean', default: false, description: "Skips the verification of the store's TLS certificate." },
        },
      },
    },
    {
      if: { properties: { type: { const: 'file' } } },
      then: {
        description: 'A directory the CPI writes and an HTTP server in front of it serves to the conductors.',
        required: ['path', 'url'],
        additionalProperties: false,
        properties: {
          type: {},
          path: str("The directory images are written to. A relative path is relative to the config file's directory."),
          url: str('The URL of that directory, as Ironic fetches from it.'),
        },
      },
    },
  ],
};

export const ironicConfigSchema = {
  type: 'object',
  required: ['type', 'ironic'],
  additionalProperties: false,
  description: 'Bare-metal servers through OpenStack Ironic (API ≥ 1.52). Accepts `openstack-qcow2`, `openstack-raw` and `openstack-light` stemcells.',
  properties: {
    type: { const: 'ironic', description: '`ironic`.' },
    ironic: {
      type: 'object',
      additionalProperties: false,
      description: 'How to reach Ironic.',
      // Keystone's catalog (or a clouds.yaml cloud) can say where Ironic is; the other modes cannot.
      if: { required: ['auth'], properties: { auth: { type: 'object', required: ['type'], properties: { type: { enum: ['keystone', 'clouds_yaml'] } } } } },
      else: { required: ['url'], properties: { url: {} } },
      properties: {
        url: {
          type: 'string',
          pattern: '^https?://',
          description:
            "Ironic's API endpoint, e.g. `http://10.0.0.5:6385`; required unless `auth` is `keystone` or `clouds_yaml`, whose catalog (or cloud) can give it.",
        },
        auth,
        ca_file: str("A PEM bundle of the CAs that sign Ironic's (and Keystone's) certificate. A relative path is relative to the config file's directory."),
        cert_file: str("A client certificate (PEM), with `key_file`. A relative path is relative to the config file's directory."),
        key_file: str("The client certificate's key (PEM). A relative path is relative to the config file's directory."),
        insecure: { type: 'boolean', default: false, description: 'Skips TLS certificate verification.' },
      },
    },
    claim: {
      enum: ['auto', 'allocation', 'instance_uuid'],
      default: 'auto',
      description:
        "How a node is claimed before anything changes: the Allocation API (`allocation`), setting the node's `instance_uuid` (`instance_uuid`), or " +
        'the Allocation API when the server has it (`auto`).',
    },
    shard: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      description:
        'The Ironic shard this backend works in (Ironic API 1.82: Ironic 21.4, OpenStack 2023.1, or later): it lists, claims and enrolls only ' +
        "nodes whose `shard` is this, so several directors can share one Ironic, each with a shard of its own, without seeing each other's " +
        'nodes. The operator commands see the same nodes; `hybrid-cpi doctor` checks that the shard has nodes. An older Ironic is a config error. ' +
        'Default: no shard, every node.',
    },
    deploy_timeout_seconds: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 3600,
      description: 'How long `create_vm` waits for its deploys to reach `active`: the time budget of every attempt together, counted from the first claim.',
    },
    deploy_callback_timeout_seconds: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 1800,
      description:
        'How long a deploy may stay in `wait call-back` (the server never boots the deploy ramdisk, or its agent never calls back) before the CPI ' +
        "ends it: aborted (Ironic API 1.110) or torn down, and counted as a failed deploy of that node. Ironic's own " +
        '`[conductor]deploy_callback_timeout` defaults to the same 1800 s.',
    },
    max_deploy_attempts: {
      type: 'integer',
      minimum: 1,
      maximum: 20,
      default: 3,
      description:
        'How many nodes one `create_vm` deploys on before it gives up: a node whose deploy fails (`deploy failed`, a power or BMC error, a stuck ' +
        "`wait call-back`) is rolled back and the next fitting node is tried. A `create_vm` with `disk_cids` stays on its disks' node and tries once.",
    },
    quarantine_after: {
      type: 'integer',
      minimum: 0,
      default: 2,
      description:
        'After this many failed deploys in a row (recorded on the node, in `extra.bosh_failures`) the node is quarantined: retired with a reason ' +
        '(Ironic API 1.61; maintenance on an older Ironic), so no BOSH pool nor any other Ironic client takes it until an operator returns it ' +
        '(`hybrid-cpi nodes --unquarantine`). 0 never quarantines.',
    },
    max_concurrent_deploys: {
      type: 'integer',
      minimum: 1,
      default: 20,
      description:
        "How many of the CPI's deploys may be in flight at once in one conductor group, counted in Ironic (nodes the CPI deploys, `deploying` " +
        'or `wait call-back`), so every CPI process of every director that shares the Ironic keeps to it. A `create_vm` over the limit waits its ' +
        'turn, within `deploy_timeout_seconds`, with progress on stderr. 20 is the default of Metal3 (`PROVISIONING_LIMIT`); keep it below ' +
        "Ironic's own `[conductor]max_concurrent_deploy`. A backend with a `shard` counts only its shard's deploys (it reads no other shard's " +
        'nodes), so each shard has a limit of its own.',
    },
    failure_domain: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      description:
        'Spreads the instances of one instance group over failure domains (racks, switches, power feeds) inside the AZ: `create_vm` takes a node ' +
        "in the domain that holds the fewest of the group's instances, counted in Ironic. What names a node's domain, tried in this order; a node " +
        'none of them names comes after every domain. Without this key, nodes are taken at random.',
      properties: {
        property: str("A key of the node's `properties` whose value is the domain (`rack`: `properties.rack`)."),
        trait_prefix: str("A trait prefix: the node's trait that starts with it names the domain (`CUSTOM_RACK_`: `CUSTOM_RACK_R12` is `R12`)."),
        lldp: {
          type: 'boolean',
          default: false,
          description:
            "The switch the node's PXE port is cabled to, from LLDP in the node's inspection inventory (Ironic API 1.81); one request per node " +
            'looked at, for a few candidates per `create_vm`.',
        },
      },
    },
    undeploy_timeout_seconds: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 3600,
      description: 'How long the other waits may take: undeploy and cleaning (`delete_vm`, wipes of deleted disks) and enrolling a server (manage, provide).',
    },
    image_store: imageStore,
    ssh_public_keys: strings(
      "SSH public keys written into the config drive's meta-data (`public_keys`); the BOSH agent installs the first for the `vcap` user.",
    ),
    nameservers: strings('DNS servers given to the DNS-default network (or the only network) when the director sends none.'),
  },
};

export default { config: { validate: ironicConfigSchema } };
