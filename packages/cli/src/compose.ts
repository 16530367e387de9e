import 'reflect-metadata';
import { container, type DependencyContainer } from 'tsyringe';
import { loadLogger, Secrets, type BuiltinModules, type LogLevel, type Logger } from '@hybrid-cpi/core';
import { BUILTIN_BACKENDS } from './builtins.js';
import type { ServeDeps } from './serve.js';

/** Tokens of the composition root; factories only, no decorator metadata (bundlers drop it). */
export const TOKENS = {
  builtins: Symbol('builtins'),
  secrets: Symbol('secrets'),
  loadLogger: Symbol('loadLogger'),
  signal: Symbol('signal'),
} as const;

/** Wires one process: the only place that decides which implementation serves which need. */
export function compose(signal: AbortSignal): DependencyContainer {
  const c = container.createChildContainer();
  c.register<BuiltinModules>(TOKENS.builtins, { useValue: BUILTIN_BACKENDS });
  c.register<Secrets>(TOKENS.secrets, { useValue: new Secrets() });
  c.register<AbortSignal>(TOKENS.signal, { useValue: signal });
  c.register<(level: LogLevel) => Promise<Logger>>(TOKENS.loadLogger, {
    useFactory: (d) => (level: LogLevel) => loadLogger(level, d.resolve<Secrets>(TOKENS.secrets)),
  });
  return c;
}

export function serveDeps(c: DependencyContainer): ServeDeps {
  return {
    builtins: c.resolve(TOKENS.builtins),
    secrets: c.resolve(TOKENS.secrets),
    loadLogger: c.resolve(TOKENS.loadLogger),
    signal: c.resolve(TOKENS.signal),
  };
}
