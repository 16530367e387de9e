import { closestMatch } from 'leven';

/**
 * The candidate an operator probably meant by a word that matched none (`valdiate`, a misspelt
 * config key), or undefined when none is close: one edit for a word of up to three characters,
 * two (a swapped pair of letters) from four on, three from nine on, so a short word never
 * "means" an unrelated one. The edit distance is leven's: small, well-kept, and only ever called
 * on an error path.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const maxDistance = word.length <= 3 ? 1 : Math.min(3, Math.max(2, Math.floor(word.length / 3)));
  const match = closestMatch(word, [...candidates], { maxDistance });
  return match === word ? undefined : match;
}

/** `; did you mean `x`?` to end a message with, or '' when no candidate is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : `; did you mean \`${match}\`?`;
}
