// What the method table's entries refer to exists: names the compiler cannot check for it.
import { describe, expect, it } from 'vitest';
import { METHOD_NAMES, isCidPart, isMethodName, methodSpec, type MethodSpec, type Part } from '@hybrid-cpi/core';

const parts = ({ result }: MethodSpec): Part[] => (result.kind === 'one' ? [result.part] : result.kind === 'parts' ? Object.values(result.parts) : []);

describe.each(METHOD_NAMES)('%s', (name) => {
  const spec = methodSpec(name);

  it('deletes what it made with a method that takes that CID, and falls back on arguments it has', () => {
    for (const part of parts(spec)) {
      if (isCidPart(part)) {
        if (part.undo === undefined) continue;
        expect(isMethodName(part.undo), part.undo).toBe(true);
        const undo = methodSpec(part.undo as never);
        expect(undo.args.map((a) => a.cid)).toEqual([part.cid]);
        expect(undo.result.kind).toBe('nothing');
      } else if (part.orArgument !== undefined) {
        expect(spec.args.map((a) => a.name)).toContain(part.orArgument);
      }
    }
  });

  it('routes by arguments it has; an argument sent only from a version on comes last and exists in that version', () => {
    const route = spec.route;
    if (route.by === 'cid') expect(spec.args.find((a) => a.name === route.arg)?.cid).toBeDefined();
    if (route.by === 'cloud_properties' || route.by === 'stemcell_formats') expect(spec.args.map((a) => a.name)).toContain(route.path[0]);
    const since = spec.args.findIndex((a) => a.since !== undefined);
    if (since !== -1) {
      expect(spec.args.slice(since).every((a) => a.since !== undefined)).toBe(true);
      expect(spec.versions).toContain(spec.args[since]!.since);
    }
  });
});
