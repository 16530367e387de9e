/**
 * The instance group a create_vm is for, as the director names it: `env.bosh.group`
 * (`<director>-<deployment>-<instance group>`, lower-cased), else `<deployment>-<instance group>`
 * from `env.bosh.groups` (the director sends `[director, deployment, instance group, …]`).
 * Undefined for a VM of no group (`bosh create-env`, a hand-made request).
 */
export function instanceGroupOf(env: Readonly<Record<string, unknown>>): string | undefined {
  const bosh = env['bosh'];
  if (typeof bosh !== 'object' || bosh === null) return undefined;
  const { group, groups } = bosh as { group?: unknown; groups?: unknown };
  if (typeof group === 'string' && group !== '') return group;
  if (!Array.isArray(groups)) return undefined;
  const [, deployment, job] = groups;
  return typeof deployment === 'string' && typeof job === 'string' && deployment !== '' && job !== '' ? `${deployment}-${job}` : undefined;
}
