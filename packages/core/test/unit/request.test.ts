import { describe, expect, it } from 'vitest';
import { parseRequest, type CpiError } from '@hybrid-cpi/core';

async function rejection(text: string): Promise<CpiError> {
  try {
    await parseRequest(text);
  } catch (error) {
    return error as CpiError;
  }
  throw new Error(`accepted: ${text}`);
}

describe('parseRequest', () => {
  it('reads a director request; no api_version means 1', async () => {
    const request = await parseRequest('{"method":"has_vm","arguments":["metal:n1"],"context":{"director_uuid":"d","request_id":"cpi-123456"}}');
    expect(request).toEqual({
      method: 'has_vm',
      args: ['metal:n1'],
      context: { director_uuid: 'd', request_id: 'cpi-123456' },
      apiVersion: 1,
      requestedApiVersion: undefined,
    });
  });

  it('accepts a v3 create_stemcell with its tags argument, and the v2 form', async () => {
    await expect(parseRequest('{"method":"create_stemcell","arguments":["/i",{},{"tags":{"a":"b"}}],"api_version":3}')).resolves.toMatchObject({
      apiVersion: 3,
    });
    await expect(parseRequest('{"method":"create_stemcell","arguments":["/i",{}],"api_version":3}')).resolves.toMatchObject({ apiVersion: 3 });
    expect((await rejection('{"method":"create_stemcell","arguments":["/i",{},{}],"api_version":2}')).message).toBe(
      'Calling create_stemcell: expected image_path, cloud_properties, env, got 3 arguments',
    );
  });

  it.each([
    ['', 'CPX_REQUEST_EMPTY', /stdin was empty/],
    ['  \n', 'CPX_REQUEST_EMPTY', /stdin was empty/],
    ['{"method":', 'CPX_REQUEST_JSON', /not valid JSON: it ends early/],
    ['[]', 'CPX_REQUEST_SHAPE', /must be a JSON object.*got an array/],
    ['null', 'CPX_REQUEST_SHAPE', /got null/],
    ['{"arguments":[]}', 'CPX_REQUEST_SHAPE', /'method' is missing/],
    ['{"method":1}', 'CPX_REQUEST_SHAPE', /'method' must be string/],
    ['{"method":"info","api_version":2.5}', 'CPX_REQUEST_SHAPE', /'api_version' must be integer/],
    ['{"method":"info","api_version":"2"}', 'CPX_REQUEST_SHAPE', /'api_version' must be integer/],
    ['{"method":"info","arguments":{}}', 'CPX_REQUEST_SHAPE', /'arguments' must be array/],
    ['{"method":"info","context":[]}', 'CPX_REQUEST_SHAPE', /'context' must be object/],
    ['{"method":"launch_rocket","arguments":[]}', 'CPX_METHOD_UNKNOWN', /^Method is not known, got 'launch_rocket'$/],
    ['{"method":"info","api_version":4}', 'CPX_API_VERSION', /api_version 4.*1, 2, 3/],
    ['{"method":"update_disk","arguments":["d",1,{}]}', 'CPX_API_VERSION', /update_disk in api_version 2, 3/],
    ['{"method":"has_vm","arguments":[]}', 'CPX_ARGUMENTS', /expected vm_cid, got 0 arguments/],
    ['{"method":"has_vm","arguments":[""]}', 'CPX_ARGUMENTS', /argument 1 \(vm_cid\) must NOT have fewer than 1 characters/],
    ['{"method":"create_disk","arguments":["10",{},null]}', 'CPX_ARGUMENTS', /argument 1 \(size\) must be integer/],
    ['{"method":"create_vm","arguments":["a","s",{},[],[],{}]}', 'CPX_ARGUMENTS', /argument 4 \(networks\) must be object/],
    ['{"method":"calculate_vm_cloud_properties","arguments":[{"cpu":1}]}', 'CPX_ARGUMENTS', /argument 1 \(vm_resources\) needs 'ram'/],
  ])('rejects %j with %s', async (text, code, message) => {
    const error = await rejection(text);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('never quotes the input in a JSON error, which may hold secrets', async () => {
    const error = await rejection('{"method":"create_vm","arguments":["a","s",{"password":"hunter2-hunter2"} oops');
    expect(error.message).not.toContain('hunter2');
  });
});
