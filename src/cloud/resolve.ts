import { AppError } from '../errors.ts';
import { closest } from '../chat/suggest.ts';
import type { ResourceRepository } from './repository.ts';
import type { Resource } from './resource.ts';

/**
 * Finds the one resource a user named (id or name, optionally qualified by its cloud:
 * `azure:web-dev-1`, `k8s:frontend`). Unknown names get the closest known name as a suggestion;
 * a name several clouds use lists the qualified names to say instead; other ambiguity lists ids.
 */

const QUALIFIER: Readonly<Record<string, string>> = {
  aws: 'aws',
  azure: 'azure',
  gcp: 'gcp',
  gce: 'gcp',
  kubernetes: 'kubernetes',
  k8s: 'kubernetes',
};

const qualified = (ref: string): { provider: string; rest: string } | undefined => {
  const m = /^([a-z0-9]+):(.+)$/i.exec(ref.trim());
  const provider = m ? QUALIFIER[m[1]!.toLowerCase()] : undefined;
  return provider && m ? { provider, rest: m[2]! } : undefined;
};

const shortProvider = (p: string): string => (p === 'kubernetes' ? 'k8s' : p);

export interface ResolveOptions {
  /**
   * Among several matches, the ones the request can apply to (`stop web-1`: resources with a stop
   * action, so a GCE boot disk named like its instance, or a Kubernetes service named like its
   * deployment, is not a rival). Ignored when none qualifies, so the refusal names the real one.
   */
  accept?: (r: Resource) => boolean;
}

export const resolveResource = async (
  repo: ResourceRepository,
  ref: string,
  opts: ResolveOptions = {},
): Promise<Resource> => {
  let found = await repo.findByIdOrName(ref);
  const q = found.length === 0 ? qualified(ref) : undefined;
  if (q) found = (await repo.findByIdOrName(q.rest)).filter((r) => r.provider === q.provider);
  if (found.length > 1 && opts.accept) {
    const narrowed = found.filter(opts.accept);
    if (narrowed.length > 0) found = narrowed;
  }
  if (found.length === 1 && found[0]) return found[0];
  if (found.length > 1) {
    const providers = new Set(found.map((r) => r.provider));
    if (providers.size === found.length) {
      const name = found[0]!.name;
      const list = found
        .map(
          (r) =>
            `\`${shortProvider(r.provider)}:${name}\` (${r.type.replace(/_/g, ' ')}, env=${r.environment}, ${r.region})`,
        )
        .join(', ');
      throw new AppError(
        'conflict',
        `“${ref}” is the name of a resource in ${providers.size} clouds: ${list}. Say which, e.g. \`${shortProvider(found[0]!.provider)}:${name}\`.`,
      );
    }
    const list = found
      .slice(0, 10)
      .map((r) => `\`${r.id}\` (${r.provider} ${r.type.replace(/_/g, ' ')}, env=${r.environment}, ${r.region})`)
      .join(', ');
    throw new AppError('conflict', `“${ref}” matches ${found.length} resources: ${list}. Say which one by id.`);
  }
  const names = (await repo.list({ limit: 1000 })).flatMap((r) => [r.name, r.id]).filter(Boolean);
  const guess = closest(ref.toLowerCase(), [...new Set(names.map((n) => n.toLowerCase()))]);
  const original = guess ? names.find((n) => n.toLowerCase() === guess) : undefined;
  throw new AppError(
    'not_found',
    `I can't find a resource called “${ref}” in the inventory.${original ? ` Did you mean \`${original}\`?` : ' Try `list resources`.'}`,
  );
};
