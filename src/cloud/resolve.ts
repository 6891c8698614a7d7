import { AppError } from '../errors.ts';
import { closest } from '../chat/suggest.ts';
import type { ResourceRepository } from './repository.ts';
import type { Resource } from './resource.ts';

/**
 * Finds the one resource a user named (id or name). Unknown names get the closest known name as a
 * suggestion; an ambiguous name lists the candidates so the user can pick by id.
 */
export const resolveResource = async (repo: ResourceRepository, ref: string): Promise<Resource> => {
  const found = await repo.findByIdOrName(ref);
  if (found.length === 1 && found[0]) return found[0];
  if (found.length > 1) {
    const list = found
      .slice(0, 10)
      .map((r) => `\`${r.id}\` (${r.type}, env=${r.environment}, ${r.region})`)
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
