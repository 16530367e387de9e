import { CpiError, type BackendSeams, type ReturnedNode } from '@hybrid-cpi/core';
import type { IronicConfig } from '../config.js';
import { RETIRED } from '../ironic/microversions.js';
import { getNode, patchNode, setProvisionState, unsetMaintenance } from '../ironic/nodes.js';
import { remove, replace, type PatchOp } from '../ironic/patch.js';
import { FAILURES_KEY, QUARANTINE_PREFIX, failuresOf } from '../quarantine/records.js';
import { operatorClient } from './pool.js';

/**
 * Returns a node the CPI quarantined to the pools (`hybrid-cpi nodes --unquarantine`): forgets its failed deploys, un-retires it (or
 * ends the maintenance the CPI set on an Ironic older than API 1.61) and provides it when it rests
 * in `manageable`, so Ironic cleans it on its way to `available` (not waited for). A node the CPI
 * did not quarantine is refused: another tool's or a person's retirement or maintenance is theirs.
 */
export async function unquarantineNode(config: IronicConfig, id: string, seams: BackendSeams = {}): Promise<ReturnedNode> {
  const client = await operatorClient(config, seams);
  try {
    const doing = `Returning node ${id} from quarantine`;
    const retirement = await client.supports(RETIRED, { doing });
    const node = await getNode(client, id, { doing, ...(retirement ? { microversion: RETIRED } : {}) });
    const record = failuresOf(node);
    const retiredByUs = node.retired === true && (node.retired_reason ?? '').startsWith(QUARANTINE_PREFIX);
    const maintenanceByUs = node.maintenance && (node.maintenance_reason ?? '').startsWith(QUARANTINE_PREFIX);
    if (record === undefined && !retiredByUs && !maintenanceByUs) {
      const other = node.retired
        ? `it is retired by someone else (${node.retired_reason ?? 'no reason given'})`
        : node.maintenance
          ? `it is in maintenance set by someone else (${node.maintenance_reason ?? 'no reason given'})`
          : 'it has no failed deploys on record';
      throw new CpiError(
        'CPX_ARGUMENTS',
        `${doing}: the CPI did not quarantine it: ${other}. End another tool's retirement or maintenance with Ironic's own commands`,
      );
    }
    const done: string[] = [];
    const ops: PatchOp[] = [];
    if (record !== undefined) ops.push(remove(['extra', FAILURES_KEY]));
    if (retiredByUs) ops.push(replace('/retired', false));
    if (ops.length > 0) await patchNode(client, node.uuid, ops, { doing, ...(retiredByUs ? { microversion: RETIRED } : {}) });
    if (record !== undefined) done.push(`forgot ${record.count} failed deploy${record.count === 1 ? '' : 's'}`);
    if (retiredByUs) done.push('un-retired it');
    if (maintenanceByUs) {
      await unsetMaintenance(client, node.uuid, { doing });
      done.push('ended its maintenance');
    }
    if (retiredByUs && node.provision_state === 'manageable') {
      await setProvisionState(client, node.uuid, { target: 'provide' }, { doing });
      done.push('provided it: Ironic cleans it, then it is available');
    }
    return { uuid: node.uuid, name: node.name, done };
  } finally {
    await client.close();
  }
}
