// Where the values of a JSON text lie, as offsets into the text (UTF-16 code units, as
// `String.prototype.slice` counts them).
//
// Written here rather than taken from a parser: JSON.parse gives no offsets, and jsonc-parser,
// which does, tokenizes every value and calls back for each: on a create_vm of 16 MiB (one large
// string) it took 40 ms where this takes 1.4 ms, and on 400 000 small members 67 ms (its visitor)
// or 256 ms (its tree) where this takes 29 ms. Its tree lookup also takes the first of two equal
// keys, where JSON.parse (and so the core) takes the last. The texts read here have passed
// JSON.parse already: only their structure is read, strings are skipped with indexOf, and nothing
// is validated again.

/** `[start, end)` of one value. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface ObjectSpans {
  /** Each member's value by key; of a key given twice, the last, as JSON.parse takes it. */
  readonly members: ReadonlyMap<string, Span>;
  /** Where a member added at the end goes: after the last member's value, or after `{`. */
  readonly insertAt: number;
  readonly empty: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function malformed(at: number): Error {
  return new Error(`the JSON text is malformed at offset ${at}`);
}

/** The end of the string whose opening quote is at `i` (past its closing quote). */
function stringEnd(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) throw malformed(i);
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The end of the value that starts at `i`. */
export function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return stringEnd(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) j = stringEnd(text, j) - 1;
      else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return j + 1;
    }
    throw malformed(i);
  }
  // A number, true, false or null.
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
    j++;
  }
  if (j === i) throw malformed(i);
  return j;
}

/** The members of the object whose `{` is at `start`. */
export function objectSpans(text: string, start: number): ObjectSpans {
  if (text.charCodeAt(start) !== OPEN_BRACE) throw malformed(start);
  const members = new Map<string, Span>();
  let i = skipSpace(text, start + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return { members, insertAt: start + 1, empty: true };
  for (;;) {
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1);
    const end = valueEnd(text, valueStart);
    members.set(key, { start: valueStart, end });
    i = skipSpace(text, end);
    if (text.charCodeAt(i) === CLOSE_BRACE) return { members, insertAt: end, empty: false };
    if (text.charCodeAt(i) !== COMMA) throw malformed(i);
    i = skipSpace(text, i + 1);
  }
}

/** The elements of the array whose `[` is at `start`. */
export function arraySpans(text: string, start: number): Span[] {
  if (text.charCodeAt(start) !== OPEN_BRACKET) throw malformed(start);
  const elements: Span[] = [];
  let i = skipSpace(text, start + 1);
  if (text.charCodeAt(i) === CLOSE_BRACKET) return elements;
  for (;;) {
    const end = valueEnd(text, i);
    elements.push({ start: i, end });
    i = skipSpace(text, end);
    if (text.charCodeAt(i) === CLOSE_BRACKET) return elements;
    if (text.charCodeAt(i) !== COMMA) throw malformed(i);
    i = skipSpace(text, i + 1);
  }
}
