import { describe, expect, it } from 'vitest';
import { CpiError, isCpiError } from '@hybrid-cpi/core';
import {
  IronicHttpError,
  isAssociated,
  isConflict,
  isIronicHttpError,
  isLocked,
  isNotFound,
  parseFaultstring,
  readErrorBody,
  type HttpErrorDetails,
} from '../../../src/ironic/errors.js';
import { INSTANCE, NODE, ironicError } from './helpers.js';

const base: HttpErrorDetails = {
  service: 'Ironic',
  doing: 'Doing it',
  status: 409,
  method: 'PATCH',
  path: '/v1/nodes/x',
  faultstring: 'x',
  requestId: undefined,
};
const error = (details: Partial<HttpErrorDetails>) => new IronicHttpError({ ...base, ...details });

describe('parseFaultstring', () => {
  it('unwraps the double-encoded error_message', () => {
    const text = JSON.stringify(ironicError(`Node ${NODE} is associated with instance ${INSTANCE}.`));
    expect(text).toContain('\\"faultstring\\"');
    expect(parseFaultstring(text)).toBe(`Node ${NODE} is associated with instance ${INSTANCE}.`);
  });

  it('takes the description of a 406 microversion error', () => {
    const text = JSON.stringify({
      error_message: JSON.stringify({
        code: 406,
        title: 'Not Acceptable',
        description: 'Version 1.99 was requested but the minor version is not supported by this service. The supported version range is: [1.1, 1.82].',
      }),
    });
    expect(parseFaultstring(text)).toBe(
      'Version 1.99 was requested but the minor version is not supported by this service. The supported version range is: [1.1, 1.82].',
    );
  });

  it("reads http_basic's and Keystone's {error: {message}}", () => {
    expect(parseFaultstring('{"error":{"message":"Authorization required","code":401}}')).toBe('Authorization required');
    expect(parseFaultstring('{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}')).toBe(
      'The request you have made requires authentication.',
    );
  });

  it('copes with an error_message that is already an object or plain text', () => {
    expect(parseFaultstring('{"error_message":{"faultstring":"direct"}}')).toBe('direct');
    expect(parseFaultstring('{"error_message":"just words"}')).toBe('just words');
    expect(parseFaultstring('{"error_message":"{\\"other\\":1}"}')).toBe('{"other":1}');
    expect(parseFaultstring('{"faultstring":"flat"}')).toBe('flat');
  });

  it('keeps a short, non-JSON body and truncates a long one', () => {
    expect(parseFaultstring('')).toBeUndefined();
    expect(parseFaultstring('  \n')).toBeUndefined();
    expect(parseFaultstring('Bad Gateway\n')).toBe('Bad Gateway');
    const html = `<html>${'x'.repeat(1000)}</html>`;
    expect(parseFaultstring(html)).toBe(`${html.slice(0, 300)}…`);
    expect(parseFaultstring('{"unexpected":true}')).toBe('{"unexpected":true}');
  });
});

describe('readErrorBody', () => {
  it("takes the faultstring of OpenStack's error shapes, and plain text as it is", () => {
    expect(readErrorBody(JSON.stringify(ironicError('Node x could not be found.')))).toEqual({ faultstring: 'Node x could not be found.', foreign: undefined });
    expect(readErrorBody('{"error":{"message":"Authorization required","code":401}}')).toEqual({ faultstring: 'Authorization required', foreign: undefined });
    expect(readErrorBody('Bad Gateway\n')).toEqual({ faultstring: 'Bad Gateway', foreign: undefined });
  });

  it('names an HTML page or a JSON document of another API instead of quoting it', () => {
    expect(readErrorBody('\n<!doctype html>\n<html lang="en"><title>Login</title></html>')).toEqual({ faultstring: undefined, foreign: 'an HTML page' });
    expect(readErrorBody('<HTML><HEAD><TITLE>404</TITLE></HEAD></HTML>')).toEqual({ faultstring: undefined, foreign: 'an HTML page' });
    for (const other of ['{"detail":"Not Found"}', '{"error":"not found"}', '[1,2]', '{"status":"ok"}']) {
      expect(readErrorBody(other)).toEqual({ faultstring: undefined, foreign: 'a JSON document that is not an OpenStack API answer' });
    }
  });
});

describe('IronicHttpError', () => {
  it('says what was being done, the status and the faultstring', () => {
    const e = error({ doing: `Claiming node ${NODE} for agent a-1`, faultstring: `Node ${NODE} is associated with instance ${INSTANCE}.` });
    expect(e.message).toBe(`Claiming node ${NODE} for agent a-1: Ironic answered 409: Node ${NODE} is associated with instance ${INSTANCE}.`);
    expect(e.code).toBe('CPX_BACKEND_FAILURE');
    expect(e.type).toBe('Bosh::Clouds::CloudError');
    expect(e.name).toBe('IronicHttpError');
  });

  it('ends the message with a full stop, an empty message included, and adds the request id', () => {
    expect(error({ faultstring: 'No conductor', status: 503, requestId: 'req-9' }).message).toBe(
      'Doing it: Ironic answered 503: No conductor. (request req-9)',
    );
    expect(error({ faultstring: undefined, status: 502 }).message).toBe('Doing it: Ironic answered 502: (no error message).');
  });

  it('tells to check the credentials on 401 and 403, naming Keystone when it answered', () => {
    expect(error({ status: 401, faultstring: 'Authorization required' }).message).toBe(
      'Doing it: Ironic answered 401: Authorization required. Check the credentials configured for this backend (ironic.auth).',
    );
    expect(error({ status: 403, faultstring: 'Forbidden' }).message).toMatch(/403: Forbidden\. Check the credentials configured/);
    expect(error({ service: 'Keystone', status: 401, faultstring: 'The request you have made requires authentication.' }).message).toBe(
      'Doing it: Keystone answered 401: The request you have made requires authentication. Check the credentials configured for this backend ' +
        '(ironic.auth, or the cloud in clouds.yaml).',
    );
  });

  it('is a CpiError, but not every CpiError is an IronicHttpError', () => {
    const e = error({});
    expect(isCpiError(e)).toBe(true);
    expect(e instanceof CpiError).toBe(true);
    expect(e instanceof IronicHttpError).toBe(true);
    expect(new CpiError('CPX_INTERNAL', 'x') instanceof IronicHttpError).toBe(false);
    expect(isIronicHttpError(new Error('x'))).toBe(false);
    expect(isIronicHttpError(null)).toBe(false);
  });
});

describe('error predicates', () => {
  const locked = error({ faultstring: `Node ${NODE} is locked by host ironic-lab, please retry after the current operation is completed.` });
  const associated = error({ faultstring: `Node ${NODE} is associated with instance ${INSTANCE}.` });
  const duplicate = error({ faultstring: 'A node with name n already exists.' });
  const missing = error({ status: 404, faultstring: 'Node n could not be found.' });

  it('tell the 409 kinds apart', () => {
    expect([locked, associated, duplicate, missing].map(isConflict)).toEqual([true, true, true, false]);
    expect([locked, associated, duplicate, missing].map(isLocked)).toEqual([true, false, false, false]);
    expect([locked, associated, duplicate, missing].map(isAssociated)).toEqual([false, true, false, false]);
    expect([locked, associated, duplicate, missing].map(isNotFound)).toEqual([false, false, false, true]);
  });

  it('need a 409 for locked and associated, and an IronicHttpError for all', () => {
    expect(isLocked(error({ status: 400, faultstring: 'is locked' }))).toBe(false);
    expect(isAssociated(error({ status: 400, faultstring: 'is associated with instance x' }))).toBe(false);
    expect(isNotFound({ status: 404 })).toBe(false);
    expect(isConflict(new Error('409'))).toBe(false);
  });
});
