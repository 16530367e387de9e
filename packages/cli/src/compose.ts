import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { setTimeout } from 'node:timers/promises';
import { container, type DependencyContainer } from 'tsyringe';
import type { BackendSeams } from '@hybrid-cpi/core';
import { TOKENS, resolve, type Basics } from './tokens.js';

/**
 * The composition root: the only place that decides which implementation serves which need.
 * This module loads tsyringe, so it is imported only where a container is needed (tokens.ts says
 * what it holds). reflect-metadata comes first, as tsyringe refuses to load without a
 * Reflect.getMetadata; no decorators are used, so every registration is a value or a factory.
 */
export function compose(from: Basics): DependencyContainer {
  const c = container.createChildContainer();
  c.register(TOKENS.builtins, { useValue: from.builtins });
  c.register(TOKENS.secrets, { useValue: from.secrets });
  c.register(TOKENS.loadLogger, { useValue: from.loadLogger });
  c.register(TOKENS.signal, { useValue: from.signal });
  // A factory, as tsyringe takes no undefined value.
  c.register(TOKENS.httpDispatcher, { useFactory: () => undefined });
  c.register(TOKENS.clock, { useValue: Date.now });
  c.register(TOKENS.sleep, { useValue: (ms: number, signal?: AbortSignal) => setTimeout(ms, undefined, signal === undefined ? {} : { signal }) });
  c.register(TOKENS.spawn, { useValue: spawn });
  // A factory, so it reads the seams' tokens as they are registered when a backend is made.
  c.register(TOKENS.seams, {
    useFactory: (d): BackendSeams => {
      const httpDispatcher = resolve(d, TOKENS.httpDispatcher);
      return {
        ...(httpDispatcher === undefined ? {} : { httpDispatcher }),
        clock: resolve(d, TOKENS.clock),
        sleep: resolve(d, TOKENS.sleep),
        spawn: resolve(d, TOKENS.spawn),
      };
    },
  });
  return c;
}
