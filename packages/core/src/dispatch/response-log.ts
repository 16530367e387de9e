import type { ResponseLog } from '../backend/backend.js';

/** The `log` of one call's response: what backends added, then the call's summary line. */
export class ResponseLogText implements ResponseLog {
  #text = '';

  append(text: string): void {
    if (text !== '') this.#text += text.endsWith('\n') ? text : `${text}\n`;
  }

  /** The whole log, `summary` as its last line. */
  withSummary(summary: string): string {
    return `${this.#text}${summary}\n`;
  }
}
