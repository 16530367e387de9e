// The tokens of the composition root (compose.ts), light enough for every call: the container itself
// loads only where it is needed.
import type { spawn } from 'node:child_process';
import type { DependencyContainer } from 'tsyringe';
import type { Dispatcher } from 'undici';
import { Secrets, loadLogger, type BackendSeams, type BuiltinModules, type LogLevel, type Logger } from '@hybrid-cpi/core';
import { BUILTIN_BACKENDS } from './builtins.js';

/** A token of the container, typed by what it resolves to. */
export type Token<T> = symbol & { readonly resolvesTo?: T };
const token = <T>(name: string) => Symbol(name) as Token<T>;

/**
 * What the process is composed of. The seams (`httpDispatcher`, `clock`, `sleep`, `spawn`) are
 * what tests replace: every backend and every operator command gets them through `seams`, so a
 * token registered again is replaced everywhere.
 */
export const TOKENS = {
  builtins: token<BuiltinModules>('builtins'),
  secrets: token<Secrets>('secrets'),
  loadLogger: token<(level: LogLevel) => Promise<Logger>>('loadLogger'),
  signal: token<AbortSignal>('signal'),
  /**
   * The HTTP dispatcher of the Ironic backends (Ironic and Keystone; in `doctor`, the image store
   * too). None in production: each backend makes its own from its TLS settings.
   */
  httpDispatcher: token<Dispatcher | undefined>('httpDispatcher'),
  clock: token<() => number>('clock'),
  sleep: token<(ms: number, signal?: AbortSignal) => Promise<void>>('sleep'),
  /** How the delegate backends start their CPI (node:child_process's spawn). */
  spawn: token<typeof spawn>('spawn'),
  /** The seams as BackendDeps carries them, from the four tokens above. */
  seams: token<BackendSeams>('seams'),
} as const;

/** What resolves tokens: the container, as the commands see it. */
export type Resolver = Pick<DependencyContainer, 'resolve'>;

export function resolve<T>(container: Resolver, from: Token<T>): T {
  return container.resolve<T>(from);
}

/** What every call and command starts from; made without the container. */
export interface Basics {
  readonly builtins: BuiltinModules;
  readonly secrets: Secrets;
  readonly loadLogger: (level: LogLevel) => Promise<Logger>;
  readonly signal: AbortSignal;
}

export function basics(signal: AbortSignal): Basics {
  const secrets = new Secrets();
  return { builtins: BUILTIN_BACKENDS, secrets, loadLogger: (level) => loadLogger(level, secrets), signal };
}
