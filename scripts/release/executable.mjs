// Whether packages/cli/dist/hybrid-cpi must be built (again) before it goes into the release:
// missing, or older than a source it is built from.
import fs from 'node:fs';
import path from 'node:path';

function newestMtime(entry) {
  let stat;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of fs.readdirSync(entry)) {
    if (name === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

/** @returns {string | undefined} why the executable is stale, or nothing when it is fresh */
export function staleReason(root, exe) {
  if (!fs.existsSync(exe)) return `${path.relative(root, exe)} does not exist`;
  const built = fs.statSync(exe).mtimeMs;
  const packages = fs.readdirSync(path.join(root, 'packages')).map((p) => path.join(root, 'packages', p));
  const sources = [
    ...packages.flatMap((p) => [path.join(p, 'src'), path.join(p, 'package.json')]),
    path.join(root, 'scripts/build.mjs'),
    path.join(root, 'package-lock.json'),
  ];
  const changed = sources.find((s) => newestMtime(s) > built);
  return changed === undefined ? undefined : `${path.relative(root, changed)} changed after the last build`;
}
