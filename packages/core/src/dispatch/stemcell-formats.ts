/** Keys that mark a light stemcell: the image already lives in the infrastructure. */
const LIGHT_KEYS = ['image_id', 'ami', 'image_url'];

/**
 * Whether a backend that accepts `formats` (`<infrastructure>-<format>`, as in stemcell.MF) takes
 * a stemcell with these cloud_properties. The director does not pass the stemcell's formats to
 * create_stemcell, only the manifest's cloud_properties, so they are derived:
 * - a light stemcell (`image_id`, `ami` or `image_url`) is `<infrastructure>-light`;
 * - otherwise `<infrastructure>-<disk_format>`, where an `ovf` disk also fits `-ova`;
 * - without a `disk_format`, any non-light format of the infrastructure.
 */
export function acceptsStemcell(formats: readonly string[], props: Readonly<Record<string, unknown>>): boolean {
  const infrastructure = props['infrastructure'];
  if (typeof infrastructure !== 'string' || infrastructure === '') return false;
  const wanted = wantedFormats(infrastructure, props);
  if (wanted === undefined) return formats.some((f) => f.startsWith(`${infrastructure}-`) && !f.endsWith('-light'));
  return formats.some((f) => wanted.includes(f));
}

function wantedFormats(infrastructure: string, props: Readonly<Record<string, unknown>>): string[] | undefined {
  if (LIGHT_KEYS.some((k) => props[k] !== undefined)) return [`${infrastructure}-light`];
  const disk = props['disk_format'];
  if (typeof disk !== 'string' || disk === '') return undefined;
  return disk === 'ovf' ? [`${infrastructure}-ovf`, `${infrastructure}-ova`] : [`${infrastructure}-${disk}`];
}

/** "infrastructure 'openstack', disk_format 'qcow2'" for error messages. */
export function describeStemcell(props: Readonly<Record<string, unknown>>): string {
  const parts = ['infrastructure', 'disk_format', ...LIGHT_KEYS].filter((k) => props[k] !== undefined).map((k) => `${k} ${JSON.stringify(props[k])}`);
  return parts.length > 0 ? parts.join(', ') : 'no infrastructure or disk_format in its cloud_properties';
}
