import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/lines.js';
import { parseResponse } from '../../src/response.js';

function split(chunks: (string | Uint8Array)[], max?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), max);
  for (const chunk of chunks) splitter.write(chunk);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('splits on \\n and \\r\\n, across chunks, and passes on an unterminated last line', () => {
    expect(split([Buffer.from('one\r\ntw'), Buffer.from('o\n\nthree')])).toEqual(['one', 'two', '', 'three']);
  });

  it('keeps a UTF-8 character split between chunks whole', () => {
    const bytes = Buffer.from('grüße\n');
    expect(split([bytes.subarray(0, 3), bytes.subarray(3)])).toEqual(['grüße']);
  });

  it('passes on a line longer than the limit in pieces', () => {
    expect(split([Buffer.from('abcdefghij'), Buffer.from('k\nl')], 4)).toEqual(['abcd', 'efgh', 'ijk', 'l']);
  });
});

describe('parseResponse', () => {
  it("takes the director's rules: surrounding whitespace and extra keys are fine", () => {
    expect(parseResponse(' {"result":1,"error":null,"log":"","extra":true}\n')).toEqual({
      ok: true,
      response: { result: 1, error: null, log: '', extra: true },
    });
  });

  it('a null result is fine', () => {
    expect(parseResponse('{"result":null,"error":null,"log":""}')).toMatchObject({ ok: true });
  });

  it('an error needs a string type and message and a boolean ok_to_retry', () => {
    expect(parseResponse('{"result":null,"error":{"type":1,"message":null,"ok_to_retry":"yes"},"log":""}')).toEqual({
      ok: false,
      problem: "its response's error is malformed (type is a number, message is null, ok_to_retry is a string)",
    });
  });
});
