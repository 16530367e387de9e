/** Options every resource function takes. */
export interface CallOptions {
  /** A gerund phrase for the error message ("Claiming node 6f… for agent a-1"); each call has a default. */
  readonly doing?: string;
  readonly signal?: AbortSignal;
  /** Until when (a `realClock` time) Ironic's 503 back-pressure is waited out; default the client's (the CPI call's budget). */
  readonly until?: number;
}

/** The request options of a call, without undefined members (exactOptionalPropertyTypes-safe). */
export function callOptions(options: CallOptions, doing: string): { doing: string; signal?: AbortSignal; until?: number } {
  return {
    doing: options.doing ?? doing,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.until === undefined ? {} : { until: options.until }),
  };
}

/** A path segment: names and UUIDs are safe, but a name may hold anything. */
export function segment(id: string): string {
  return encodeURIComponent(id);
}
