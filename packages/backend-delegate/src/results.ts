import {
  CpiError,
  nativeCid,
  type CloudProperties,
  type CreatedNetwork,
  type CreatedVm,
  type DiskHint,
  type MethodName,
  type NativeCid,
  type Networks,
} from '@hybrid-cpi/core';

/** The delegate answered, but not with what the method returns. */
function unexpected(method: MethodName, result: unknown, expected: string): CpiError {
  return new CpiError('CPX_BACKEND_FAILURE', `The delegate CPI answered ${method} with ${preview(result)}, expected ${expected}`);
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function cidResult(method: MethodName, result: unknown): NativeCid {
  if (typeof result !== 'string' || result === '') throw unexpected(method, result, 'a CID (a non-empty string)');
  return nativeCid(result);
}

export function booleanResult(method: MethodName, result: unknown): boolean {
  if (typeof result !== 'boolean') throw unexpected(method, result, 'true or false');
  return result;
}

/** v2 and v3: `[cid, networks]`; v1: the bare CID, and the VM has the networks it was asked for. */
export function createdVmResult(result: unknown, requested: Networks): CreatedVm {
  if (Array.isArray(result)) {
    const [cid, networks] = result as unknown[];
    return { cid: cidResult('create_vm', cid), networks: isRecord(networks) ? (networks as Networks) : requested };
  }
  return { cid: cidResult('create_vm', result), networks: requested };
}

/**
 * v2 and v3: the disk hint. A v1 CPI returns nothing (it wrote the hint into the registry): fine
 * for a v1 request, where the core answers nothing either; a v2 director needs a hint.
 */
export function diskHintResult(result: unknown, forwardedVersion: number, requestVersion: number): DiskHint {
  if ((typeof result === 'string' && result !== '') || isRecord(result)) return result as DiskHint;
  if (forwardedVersion < 2 && (result === null || result === undefined)) {
    if (requestVersion < 2) return '';
    throw new CpiError(
      'CPX_BACKEND_FAILURE',
      `The delegate CPI speaks api_version ${forwardedVersion} and answered attach_disk with no disk hint, which a director calling with api_version ` +
        `${requestVersion} needs; set the backend's api_version to 2 if the CPI supports it`,
    );
  }
  throw unexpected('attach_disk', result, 'a disk hint (a non-empty string or an object)');
}

export function cidListResult(method: MethodName, result: unknown): NativeCid[] {
  if (!Array.isArray(result)) throw unexpected(method, result, 'a list of CIDs');
  return result.map((cid) => cidResult(method, cid));
}

/** update_disk: the CID of a new disk, or null when the disk changed in place. */
export function optionalCidResult(method: MethodName, result: unknown): NativeCid | undefined {
  return result === null || result === undefined ? undefined : cidResult(method, result);
}

export function cloudPropertiesResult(result: unknown): CloudProperties {
  if (!isRecord(result)) throw unexpected('calculate_vm_cloud_properties', result, 'an object of cloud properties');
  return result;
}

/** `[network CID, {range, gateway, reserved}, cloud_properties]`. */
export function createdNetworkResult(result: unknown): CreatedNetwork {
  if (!Array.isArray(result) || result.length < 1) throw unexpected('create_network', result, '[network CID, spec, cloud_properties]');
  const [cid, spec, cloudProperties] = result as unknown[];
  return { cid: cidResult('create_network', cid), spec: spec ?? null, cloudProperties: cloudProperties ?? null };
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
