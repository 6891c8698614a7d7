import type { Diagnosis, FactResource, Grade, RecordedCause } from './model.ts';

/**
 * Grades the diagnosis the bot posted against the cause the responder recorded, so that a team
 * can see how often the first suspect was right (`incidents accuracy`). The rules, first match:
 *
 * - **exact**: the first suspect's category is the cause's, and its change or resource is the
 *   cause's (or the cause names neither).
 * - **one hop short**: the cause's change or resource was in the diagnosis (a fact, or a later
 *   suspect), or the first suspect's resource is a neighbour of the cause's with the right
 *   category: the evidence was there, one step from the top.
 * - **right area, wrong cause**: the cause's resource is one the alert or its neighbours named, or
 *   the first suspect names the right resource with the wrong category.
 * - **wrong area**: anything else, and a diagnosis with no suspect at all.
 */
export const gradeDiagnosis = (d: Diagnosis | undefined, cause: RecordedCause): Grade => {
  const top = d?.suspects[0];
  if (!d || !top) return 'wrong_area';
  const names = (r: FactResource | undefined) => (r ? [r.name.toLowerCase(), r.id.toLowerCase()] : []);
  const causeResource = cause.resource?.trim().toLowerCase();
  const sameResource = (r: FactResource | undefined) => Boolean(causeResource && names(r).includes(causeResource));
  const sameChange = Boolean(cause.changeId && top.changeId && cause.changeId === top.changeId);
  const namesNothing = !cause.changeId && !causeResource;
  const sameCategory = top.category === cause.category;

  if (sameCategory && (sameChange || sameResource(top.resource) || namesNothing)) return 'exact';
  // The first suspect named what was at fault, with the wrong kind of cause.
  if (sameChange || sameResource(top.resource)) return 'right_area_wrong_cause';

  const inFacts =
    (cause.changeId !== undefined &&
      (d.facts.some((f) => f.changeId === cause.changeId) || d.suspects.some((s) => s.changeId === cause.changeId))) ||
    (causeResource !== undefined &&
      (d.suspects.slice(1).some((s) => sameResource(s.resource)) ||
        d.facts.some((f) => f.kind !== 'alert' && sameResource(f.resource))));
  const neighbourOfTop =
    sameCategory &&
    causeResource !== undefined &&
    d.facts.some((f) => f.relation === 'neighbour' && sameResource(f.resource)) &&
    top.resource !== undefined;
  if (inFacts || neighbourOfTop) return sameCategory || inFacts ? 'one_hop_short' : 'right_area_wrong_cause';

  if (sameResource(top.resource) || d.affected.some((r) => sameResource(r))) return 'right_area_wrong_cause';
  return 'wrong_area';
};

export const gradeLabel: Record<Grade, string> = {
  exact: 'exact',
  one_hop_short: 'one hop short',
  right_area_wrong_cause: 'right area, wrong cause',
  wrong_area: 'wrong area',
};
