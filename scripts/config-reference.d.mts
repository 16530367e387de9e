/** Types of scripts/config-reference.mjs, for the test that keeps docs/config-reference.md fresh. */
export declare const REFERENCE_FILE: string;
export declare const REFRESH_COMMAND: string;
export interface ConfigReferenceSection {
  readonly title: string;
  readonly module: string;
  readonly scope: string;
  readonly schema: Record<string, unknown>;
}
export declare function loadSections(): Promise<ConfigReferenceSection[]>;
export declare function renderConfigReference(): Promise<string>;
