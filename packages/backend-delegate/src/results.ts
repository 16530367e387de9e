import { CpiError, partName, resultFromWire, type ApiVersion } from '@hybrid-cpi/core';
import type { DelegatedCall } from './request.js';

/**
 * The delegate's result as the backend method returns it, read as the method table describes
 * the method's result in the version the delegate was asked in; what does not fit is a
 * CloudError saying what came and what was expected.
 */
export function readResult(call: DelegatedCall, result: unknown, needed: ApiVersion): unknown {
  const { method, spec, args } = call;
  const answered = call.apiVersion ?? 1;
  return resultFromWire(spec, result, {
    answered,
    needed,
    argument: (name) => args[spec.args.findIndex((a) => a.name === name)],
    unexpected: (value, expected) => {
      throw new CpiError('CPX_BACKEND_FAILURE', `The delegate CPI answered ${method} with ${preview(value)}, expected ${expected}`);
    },
    missing: (part, since) => {
      throw new CpiError(
        'CPX_BACKEND_FAILURE',
        `The delegate CPI speaks api_version ${answered} and answered ${method} with no ${partName(part)}, which a director calling with api_version ` +
          `${needed} needs; set the backend's api_version to ${since} if the CPI supports it`,
      );
    },
  });
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
