import { argsOfVersion, type ApiVersion, type MethodSpec } from '@hybrid-cpi/core';
import { arraySpans, objectSpans, skipSpace, type Span } from './json-spans.js';

/** What changes between the director's request and the delegate's. */
export interface Forwarding {
  readonly spec: MethodSpec;
  /** The call's arguments as a director would send them, with native CIDs. */
  readonly args: readonly unknown[];
  /** The version the delegate gets; undefined where the director sent none. */
  readonly apiVersion: ApiVersion | undefined;
  /** Context keys to add (the configured ones the director did not send). */
  readonly contextAdditions: Readonly<Record<string, unknown>>;
}

interface Edit extends Span {
  readonly text: string;
}

/**
 * The director's request text as the delegate gets it: every byte the director sent (number
 * spellings such as `1.0`, key order, spacing, escapes), apart from the CID strings at the CID
 * positions of the method table (now the call's native ones), `api_version` (the forwarded one),
 * the arguments the forwarded version does not have (create_stemcell's v3 tags for a delegate
 * that speaks 2), and the configured context keys, added at the end of `context`.
 */
export function forwardedText(text: string, forwarding: Forwarding): string {
  const { spec, args, apiVersion, contextAdditions } = forwarding;
  const top = objectSpans(text, skipSpace(text, 0));
  const edits: Edit[] = [];
  const argumentSpan = top.members.get('arguments');
  if (argumentSpan !== undefined) {
    const elements = arraySpans(text, argumentSpan.start);
    spec.args.forEach((arg, i) => {
      const element = elements[i];
      if (arg.cid !== undefined && element !== undefined) edits.push(...cidEdits(text, element, args[i], arg.name));
    });
    const kept = argsOfVersion(spec, apiVersion ?? 1).length;
    if (elements.length > kept) {
      // From the end of the last argument kept (or the `[`) to the end of the last one.
      const from = kept === 0 ? argumentSpan.start + 1 : elements[kept - 1]!.end;
      edits.push({ start: from, end: elements.at(-1)!.end, text: '' });
    }
  }
  const version = top.members.get('api_version');
  if (version !== undefined && apiVersion !== undefined && Number(text.slice(version.start, version.end)) !== apiVersion) {
    edits.push({ ...version, text: String(apiVersion) });
  }
  const added = Object.entries(contextAdditions).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  if (added.length > 0) {
    const context = top.members.get('context');
    if (context === undefined) {
      edits.push({ start: top.insertAt, end: top.insertAt, text: `,"context":{${added.join(',')}}` });
    } else {
      const spans = objectSpans(text, context.start);
      edits.push({ start: spans.insertAt, end: spans.insertAt, text: `${spans.empty ? '' : ','}${added.join(',')}` });
    }
  }
  return applyEdits(text, edits);
}

/** The CID strings of one argument (a CID, or each of a list of them), replaced by `natives`. */
function cidEdits(text: string, span: Span, natives: unknown, name: string): Edit[] {
  const token = text.slice(span.start, span.start + 1);
  // None sent, none given (a null list reaches a backend as an empty one): the null stays.
  if (token === 'n' && (natives === null || natives === undefined || (Array.isArray(natives) && natives.length === 0))) return [];
  if (typeof natives === 'string' && token === '"') return [{ ...span, text: JSON.stringify(natives) }];
  if (Array.isArray(natives) && token === '[') {
    const items = arraySpans(text, span.start);
    if (items.length === natives.length && items.every((item) => text.charCodeAt(item.start) === 0x22)) {
      return items.map((item, j) => ({ ...item, text: JSON.stringify(natives[j]) }));
    }
  }
  // The call's CIDs must be the request's: never forward a request with CIDs it did not ask for.
  throw new Error(`the request's ${name} does not match the CIDs of the call`);
}

function applyEdits(text: string, edits: Edit[]): string {
  const pieces: string[] = [];
  let at = 0;
  for (const edit of edits.sort((a, b) => a.start - b.start)) {
    pieces.push(text.slice(at, edit.start), edit.text);
    at = edit.end;
  }
  pieces.push(text.slice(at));
  return pieces.join('');
}
