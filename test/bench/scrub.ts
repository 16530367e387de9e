// What scrubbing secrets out of a text costs (packages/core/src/logging/secrets.ts): the time per
// MiB of text, for a few secrets and for thousands, with and without an 8 MiB secret among them,
// next to what the single regular expression of every secret (the scrubber before it) took on the
// same text. The cost should grow with the text, not with the secrets. Prints figures; asserts
// nothing.
// Usage: node test/bench/scrub.ts   (Node 24, after npm run build)
import { Secrets } from '@hybrid-cpi/core';

const MiB = 1 << 20;
const RUNS = 5;

function median(fn: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const started = performance.now();
    fn();
    if (i > 0) times.push(performance.now() - started); // the first run builds the matcher
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/** A log-like text of `bytes` characters with a secret every 4 KiB. */
function text(bytes: number, secret: string): string {
  const line = `{"level":"debug","msg":"ironic request","path":"/v1/nodes/6f0c2c1e","status":200,"note":"${'x'.repeat(60)}"}\n`;
  const block = line.repeat(Math.ceil(4096 / line.length)).slice(0, 4096 - secret.length) + secret;
  return block.repeat(Math.ceil(bytes / block.length)).slice(0, bytes);
}

const huge = 'Q'.repeat(8 * MiB);
const sets: [string, string[]][] = [
  ['10 secrets', Array.from({ length: 10 }, (_, i) => `password-${i}-abcdefgh`)],
  ['10,000 secrets', Array.from({ length: 10_000 }, (_, i) => `password-${i}-abcdefgh`)],
  ['10,000 secrets and one of 8 MiB', [...Array.from({ length: 10_000 }, (_, i) => `password-${i}-abcdefgh`), huge]],
];

console.log(`median of ${RUNS} runs, ms per MiB of text (a secret every 4 KiB)`);
for (const size of [1 * MiB, 16 * MiB]) {
  const sample = text(size, 'password-7-abcdefgh');
  for (const [name, values] of sets) {
    const secrets = new Secrets();
    for (const v of values) secrets.add(v);
    const ms = median(() => secrets.scrub(sample));
    console.log(`${size / MiB} MiB, ${name}: ${(ms / (size / MiB)).toFixed(2)} (one regular expression: ${regex(values, sample)})`);
  }
}
/** The former scrubber: one alternation of every secret, longest first. */
function regex(values: string[], sample: string): string {
  try {
    const pattern = new RegExp(
      [...values]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return (median(() => sample.replace(pattern, '[Redacted]')) / (sample.length / MiB)).toFixed(2);
  } catch (error) {
    return `refused by V8: ${(error as Error).name}`;
  }
}

const secrets = new Secrets();
secrets.add(huge);
const started = performance.now();
secrets.scrub('a short log line');
console.log(`a short line with an 8 MiB secret known: ${(performance.now() - started).toFixed(2)} ms (the long secret's matcher is not built for it)`);
