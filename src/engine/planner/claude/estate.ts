import { resourceRepository } from '../../../cloud/repository.ts';
import type { Db } from '../../../store/db.ts';
import type { EstateSummary } from './prompt.ts';

/** Instance states worth telling apart in a summary; other types are counted as a whole. */
const INSTANCE_STATES = ['running', 'stopped', 'pending', 'stopping'];

/**
 * A compact picture of the inventory for the model's context: a few grouped counts from the
 * database (no listing), so that its cost does not grow with the fleet.
 */
export const estateSummary = async (db: Db, sandbox: boolean): Promise<EstateSummary> => {
  const repo = resourceRepository(db);
  const [totals, providers, environments, instanceStates] = await Promise.all([
    repo.totals(),
    repo.costs('provider'),
    repo.costs('environment'),
    Promise.all(
      INSTANCE_STATES.map(async (state) => [state, await repo.count({ type: 'instance', states: [state] })] as const),
    ),
  ]);
  const byTypeAndState: EstateSummary['byTypeAndState'] = {};
  for (const [type, n] of Object.entries(totals.byType).sort(([a], [b]) => a.localeCompare(b))) {
    if (type !== 'instance') {
      byTypeAndState[type] = { total: n };
      continue;
    }
    const states = Object.fromEntries(instanceStates.filter(([, c]) => c > 0));
    const other = n - Object.values(states).reduce((a, b) => a + b, 0);
    byTypeAndState[type] = other > 0 ? { ...states, other } : states;
  }
  return {
    sandbox,
    providers: providers.map((p) => `${p.key} (${p.count} resources)`),
    environments: environments.map((e) => e.key).sort(),
    byTypeAndState,
    total: totals.count,
    monthlyCostCents: totals.monthlyCostCents,
  };
};
