// Experiment: the single executable's entry point when it is built with a V8 start-up snapshot
// (SEA useSnapshot). The build runs this once; each process starts from the heap it left.
import v8 from 'node:v8';
import { BUILTIN_BACKENDS } from './builtins.js';
import { runCli } from './cli.js';

if (process.env['HYBRID_CPI_SNAPSHOT_PRELOAD'] === '1') {
  // The lazily loaded modules of a call that reaches a backend, evaluated at build time.
  void Promise.all([BUILTIN_BACKENDS['delegate']!(), BUILTIN_BACKENDS['ironic']!(), BUILTIN_BACKENDS['memory']!(), import('./compose.js'), import('pino')]);
}
v8.startupSnapshot.setDeserializeMainFunction(() => runCli(process.argv.slice(2)));
