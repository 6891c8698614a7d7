import { z } from 'zod';
import { planAction } from '../cloud/change-tools.ts';
import type { CloudProvider } from '../cloud/provider.ts';
import type { ProviderName } from '../cloud/resource.ts';
import { AppError, badRequest, conflict, isAppError, notFound } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { Tool } from '../tools/tool.ts';
import { liveResource } from './engine.ts';
import { findFinding } from './repository.ts';
import type { Rule } from './rule.ts';
import { findingRef } from './tools.ts';

/**
 * `fix <finding>` and the Fix button: the rule's fix action with the parameters the rule gave,
 * planned like any other change (`planAction`: the provider's action spec, states, checks, blast
 * radius, cost delta, rollback) and filed through the approval policy. Nothing here calls a
 * cloud; the next scan resolves the finding once the change has run.
 */

export interface FixToolDeps {
  db: Db;
  rules: readonly Rule[];
  provider: (name: string) => CloudProvider | undefined;
}

const FixInput = z.object({
  finding: z.string().min(6).max(20).describe('The finding to fix, e.g. F-3fa2c1d9e0b1.'),
});

export const fixTool = (d: FixToolDeps): Tool<typeof FixInput> => ({
  name: 'fix',
  description:
    'Requests the one-click fix of a finding (stop an idle instance, release an unassociated IP, revoke a world-open rule…) as a change request that needs approval per policy.',
  input: FixInput,
  kind: 'change',
  minRole: 'operator',
  // The Claude planner gets the read tools; a fix is asked for by a person or a button.
  llm: false,
  run: async (input, ctx) => {
    const found = await findFinding(d.db, ctx.actor.workspaceId, input.finding);
    if (found.length === 0) throw notFound(`There is no finding ${input.finding} in this workspace.`);
    if (found.length > 1) throw badRequest(`${input.finding} matches ${found.length} findings: give more of its id.`);
    const f = found[0]!;
    const ref = findingRef(f.id);
    if (f.status === 'resolved')
      throw conflict(
        `${ref} was resolved on ${f.resolvedAt?.toISOString().slice(0, 10) ?? 'an earlier scan'}: there is nothing to fix.`,
      );
    const rule = d.rules.find((r) => r.id === f.ruleId);
    if (!rule?.fix || f.verdict !== 'fail')
      throw badRequest(
        `${ref} (${f.ruleId}) has no one-click fix${f.verdict === 'manual' ? ': it needs a person to check it' : ''}. ${rule?.remediation ?? ''}`.trim(),
      );
    const resource = await liveResource(d.db, {
      provider: f.provider as ProviderName,
      account: f.account,
      id: f.resourceId,
    });
    if (!resource) throw conflict(`${f.resourceName} is no longer in the inventory: the next scan resolves ${ref}.`);
    try {
      const plan = await planAction(d, resource, rule.fix.action, f.fixParams ?? {});
      return { type: 'plan', plan: { ...plan, summary: `${plan.summary} (fixes ${ref}, ${rule.id})` } };
    } catch (e) {
      // The provider does not offer this fix (yet), or the resource is not in a state for it.
      if (isAppError(e) && e.code !== 'internal')
        throw new AppError(e.code, `${rule.fix.title} for ${ref}: ${e.userMessage} ${rule.remediation}`, { cause: e });
      throw e;
    }
  },
});
