/**
 * Aho–Corasick over UTF-16 code units: one left-to-right pass finds every place where any of the
 * patterns occurs, in time linear in the text whatever their number and length (building it is
 * linear in their total length).
 *
 * Written here rather than taken from npm: a scrubber must match code units exactly, and the
 * maintained package (modern-ahocorasick) matches whole grapheme clusters, so a secret after
 * "\r" or one starting with a combining mark is missed, and it runs Intl.Segmenter over the whole
 * text; the other packages build in quadratic steps with an object per state.
 *
 * States are numbers. Most of a long pattern's trie is a chain: the transition from a state to
 * the one made right after it is kept in `#chain`, the root's in a table, and the other branches
 * (at most one per pattern) in a Map, so memory is three Int32 per character of the patterns
 * plus 256 KiB for the root.
 */
const NONE = -1;

export class PatternMatcher {
  /** The code unit that leads from state s to state s + 1, or NONE. */
  readonly #chain: Int32Array;
  /** The root's transitions by code unit: most characters of a text are read there. */
  readonly #root = new Int32Array(65536).fill(NONE);
  /** Every other transition: `state * 65536 + code unit` → state. */
  readonly #branches = new Map<number, number>();
  /** The state of the longest proper suffix that is also in the trie. */
  readonly #fail: Int32Array;
  /** The length of the longest pattern that ends at this state (0: none). */
  readonly #longest: Int32Array;

  constructor(patterns: Iterable<string>) {
    // Longest first: at each depth the patterns still long enough are a prefix of the list.
    const words = [...new Set(patterns)].filter((p) => p.length > 0).sort((a, b) => b.length - a.length);
    const capacity = words.reduce((sum, w) => sum + w.length, 1);
    this.#chain = new Int32Array(capacity).fill(NONE);
    this.#fail = new Int32Array(capacity);
    this.#longest = new Int32Array(capacity);

    let states = 1;
    for (const word of words) {
      let state = 0;
      for (let i = 0; i < word.length; i++) {
        const unit = word.charCodeAt(i);
        let next = this.#next(state, unit);
        if (next === NONE) {
          next = states++;
          if (state === 0) this.#root[unit] = next;
          else if (next === state + 1) this.#chain[state] = unit;
          else this.#branches.set(state * 65536 + unit, next);
        }
        state = next;
      }
      this.#longest[state] = word.length;
    }

    // Failure links by depth, each from its parent's: every word's walk is KMP's, linear in it.
    const parents = new Int32Array(words.length);
    for (let depth = 1, active = words.length; ; depth++) {
      while (active > 0 && words[active - 1]!.length < depth) active--;
      if (active === 0) break;
      for (let k = 0; k < active; k++) {
        const parent = parents[k]!;
        const unit = words[k]!.charCodeAt(depth - 1);
        const state = this.#next(parent, unit);
        parents[k] = state;
        let fail = 0;
        if (depth > 1) {
          let f = this.#fail[parent]!;
          let next = this.#next(f, unit);
          while (next === NONE && f !== 0) {
            f = this.#fail[f]!;
            next = this.#next(f, unit);
          }
          fail = next === NONE ? 0 : next;
        }
        this.#fail[state] = fail;
        if (this.#longest[state] === 0) this.#longest[state] = this.#longest[fail]!;
      }
    }
  }

  /**
   * The text with every stretch covered by patterns replaced by `replacement`: overlapping and
   * adjacent occurrences become one stretch, so no part of any occurrence survives.
   */
  replaceAll(text: string, replacement: string): string {
    // Pairs [start, end) in order; an occurrence reaching back over earlier ones merges them.
    const runs: number[] = [];
    const root = this.#root;
    const longest = this.#longest;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (state === 0) {
        // Most characters of a text start no secret: one table read.
        state = root[unit]!;
        if (state === NONE) {
          state = 0;
          continue;
        }
      } else {
        let next = this.#next(state, unit);
        while (next === NONE && state !== 0) {
          state = this.#fail[state]!;
          next = this.#next(state, unit);
        }
        state = next === NONE ? 0 : next;
      }
      const length = longest[state]!;
      if (length === 0) continue;
      let start = i + 1 - length;
      while (runs.length > 0 && runs[runs.length - 1]! >= start) {
        start = Math.min(start, runs[runs.length - 2]!);
        runs.length -= 2;
      }
      runs.push(start, i + 1);
    }
    if (runs.length === 0) return text;
    let out = '';
    let at = 0;
    for (let r = 0; r < runs.length; r += 2) {
      out += text.slice(at, runs[r]) + replacement;
      at = runs[r + 1]!;
    }
    return out + text.slice(at);
  }

  #next(state: number, unit: number): number {
    if (state === 0) return this.#root[unit]!;
    return this.#chain[state] === unit ? state + 1 : (this.#branches.get(state * 65536 + unit) ?? NONE);
  }
}
