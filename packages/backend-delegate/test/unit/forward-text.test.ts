// The director's request text as the delegate gets it: the same bytes apart from the CID strings,
// api_version and the arguments a delegate's version lacks; and the spans it is edited by.
import { describe, expect, it } from 'vitest';
import { methodSpec, type MethodName } from '@hybrid-cpi/core';
import { forwardedText } from '../../src/forward-text.js';
import { arraySpans, objectSpans } from '../../src/json-spans.js';

const texts = (text: string, spans: readonly { start: number; end: number }[]) => spans.map((s) => text.slice(s.start, s.end));

describe('spans', () => {
  it('of members and elements, whatever the spacing, escapes and nesting', () => {
    const text = ' {\n "a" :\t[ 1.0 , -2e-3,true,null ] ,"b\\"c":"x\\\\\\"}]y\\\\" , "d" : { "e" : [ { } , [ ] ] }\r\n}';
    const { members } = objectSpans(text, 1);
    expect([...members.keys()]).toEqual(['a', 'b"c', 'd']);
    expect(texts(text, [...members.values()])).toEqual(['[ 1.0 , -2e-3,true,null ]', '"x\\\\\\"}]y\\\\"', '{ "e" : [ { } , [ ] ] }']);
    expect(texts(text, arraySpans(text, members.get('a')!.start))).toEqual(['1.0', '-2e-3', 'true', 'null']);
    expect(arraySpans('[ ]', 0)).toEqual([]);
    expect(objectSpans('{ }', 0)).toEqual({ members: new Map(), insertAt: 1, empty: true });
  });

  it('of a key given twice, the last, as JSON.parse takes it', () => {
    const text = '{"k":1,"k":[2]}';
    expect(texts(text, [objectSpans(text, 0).members.get('k')!])).toEqual(['[2]']);
  });
});

/** The director's text with unusual spacing, a number spelt `1.0`, escapes and non-ASCII text. */
function director(method: MethodName, args: string, extra = ''): string {
  return `{ "context" : {"director_uuid":"d-1" ,  "cpu": 1.0},\n"method":"${method}",  "arguments" : ${args}${extra} }`;
}

const forward = (text: string, method: MethodName, args: unknown[], apiVersion?: 1 | 2 | 3, contextAdditions: Record<string, unknown> = {}) =>
  forwardedText(text, { spec: methodSpec(method), args, apiVersion, contextAdditions });

describe('the forwarded text', () => {
  it("differs from the director's only in the CID strings", () => {
    const args = '[ "agent-1", "vms:sc-1" ,{"cpu":1.0,"name":"caf\\u00e9 \\/ é"}, {}, [ "vms:d-1",\n"vms:d-2" ] , null ]';
    const text = director('create_vm', args, ', "api_version": 2.0');
    expect(forward(text, 'create_vm', ['agent-1', 'sc-1', {}, {}, ['d-1', 'd-2'], null], 2)).toBe(
      director('create_vm', '[ "agent-1", "sc-1" ,{"cpu":1.0,"name":"caf\\u00e9 \\/ é"}, {}, [ "d-1",\n"d-2" ] , null ]', ', "api_version": 2.0'),
    );
  });

  it('keeps a null where the call has none (a null vm_cid, null disk_cids the backend saw as none)', () => {
    expect(forward(director('create_disk', '[10, {}, null]'), 'create_disk', [10, {}, null])).toBe(director('create_disk', '[10, {}, null]'));
    const vm = director('create_vm', '["a","vms:s",{},{},null,null]');
    expect(forward(vm, 'create_vm', ['a', 's', {}, {}, [], {}])).toBe(director('create_vm', '["a","s",{},{},null,null]'));
  });

  it("refuses a call whose CIDs are not the request's", () => {
    expect(() => forward(director('create_disk', '[10, {}, null]'), 'create_disk', [10, {}, 'vm-1'])).toThrowError(/vm_cid does not match/);
    expect(() => forward(director('create_vm', '["a","vms:s",{},{},["vms:d"],null]'), 'create_vm', ['a', 's', {}, {}, [], {}])).toThrowError(
      /disk_cids does not match/,
    );
  });

  it('edits the arguments JSON.parse reads, the last of two', () => {
    const text = '{"method":"has_vm","arguments":["vms:vm-0"],"arguments":["vms:vm-1"]}';
    expect(forward(text, 'has_vm', ['vm-1'])).toBe('{"method":"has_vm","arguments":["vms:vm-0"],"arguments":["vm-1"]}');
  });

  it('sets api_version only where the delegate gets another one, and drops the arguments its version lacks', () => {
    const text = director('create_stemcell', '[ "/i" , {"a":1.0} ,\n {"tags":{"x":"y"}} ]', ',"api_version":3');
    expect(forward(text, 'create_stemcell', ['/i', { a: 1 }, { tags: { x: 'y' } }], 3)).toBe(text);
    expect(forward(text, 'create_stemcell', ['/i', { a: 1 }, { tags: { x: 'y' } }], 2)).toBe(
      director('create_stemcell', '[ "/i" , {"a":1.0} ]', ',"api_version":2'),
    );
  });

  it('adds the configured context keys at the end of context, or a context where there is none', () => {
    const additions = { host: 'vcenter', port: 443 };
    expect(forward(director('has_vm', '["vms:v"]'), 'has_vm', ['v'], undefined, additions)).toBe(
      '{ "context" : {"director_uuid":"d-1" ,  "cpu": 1.0,"host":"vcenter","port":443},\n"method":"has_vm",  "arguments" : ["v"] }',
    );
    expect(forward('{"method":"has_vm","arguments":["vms:v"],"context":{ }}', 'has_vm', ['v'], undefined, additions)).toBe(
      '{"method":"has_vm","arguments":["v"],"context":{"host":"vcenter","port":443 }}',
    );
    expect(forward('{"method":"has_vm","arguments":["vms:v"] }', 'has_vm', ['v'], undefined, additions)).toBe(
      '{"method":"has_vm","arguments":["v"],"context":{"host":"vcenter","port":443} }',
    );
  });

  it('a 16 MiB request: the same 16 MiB, one CID changed', () => {
    const blob = `é${'x'.repeat(16 * 1024 * 1024)}"\\`;
    const env = JSON.stringify({ bosh: { blob } });
    const text = `{"method":"create_vm","arguments":["a","vms:s",{},{},[],${env}],"context":{},"api_version":2}`;
    const forwarded = forward(text, 'create_vm', ['a', 's', {}, {}, [], { bosh: { blob } }], 2);
    expect(forwarded.length).toBe(text.length - 'vms:'.length);
    expect(forwarded).toBe(text.replace('"vms:s"', '"s"'));
  });
});
