import { StringDecoder } from 'node:string_decoder';

/** Longer stderr lines are passed on in pieces of this size, so one endless line cannot fill memory. */
export const MAX_LINE_CHARS = 64 * 1024;

/** Splits a byte stream into lines as it arrives (UTF-8, `\n` or `\r\n`), holding at most one partial line. */
export class LineSplitter {
  readonly #emit: (line: string) => void;
  readonly #maxChars: number;
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';

  constructor(emit: (line: string) => void, maxChars = MAX_LINE_CHARS) {
    this.#emit = emit;
    this.#maxChars = maxChars;
  }

  write(chunk: Uint8Array | string): void {
    const text = this.#pending + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      this.#emit(text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end));
      start = end + 1;
    }
    this.#pending = text.slice(start);
    while (this.#pending.length >= this.#maxChars) {
      this.#emit(this.#pending.slice(0, this.#maxChars));
      this.#pending = this.#pending.slice(this.#maxChars);
    }
  }

  /** Passes on what is left after the last newline. */
  end(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    if (rest !== '') this.#emit(rest);
  }
}
