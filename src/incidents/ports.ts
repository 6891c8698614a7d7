import type { Diagnosis, Fact, Suspect } from './model.ts';

/**
 * What the incident service needs of PagerDuty's REST API (implemented on `@pagerduty/pdjs` in
 * `pagerduty/client.ts`, loaded only when PAGERDUTY_API_TOKEN is set). Every write acts as the
 * PagerDuty user whose login email is `fromEmail` (PagerDuty's `From` header). Failures throw an
 * AppError whose message can be shown to the person who clicked (unavailable, forbidden, not_found).
 */
export interface PagerDutyApi {
  /** The PagerDuty user with exactly this login email, or null. */
  userByEmail(email: string): Promise<{ id: string; name: string; email: string } | null>;
  acknowledge(incidentId: string, fromEmail: string): Promise<void>;
  resolve(incidentId: string, fromEmail: string, resolution?: string): Promise<void>;
  /** Raises the escalation level by one (or to `level`); returns the new level. */
  escalate(incidentId: string, fromEmail: string, level?: number): Promise<{ level: number }>;
  /** Adds a note to the incident's timeline. */
  note(incidentId: string, fromEmail: string, content: string): Promise<void>;
  /** The incident's current status as PagerDuty has it. */
  status(incidentId: string): Promise<{ status: 'triggered' | 'acknowledged' | 'resolved'; escalationLevel?: number }>;
}

/**
 * Writes the short diagnosis from the facts (the Claude planner's model, in
 * `engine/planner/claude/incident-narrative.ts`, wired by app.ts only when a key is set). Every
 * claim cites fact ids; the caller drops claims that cite none or cite an id not in `facts`.
 * Facts are built from the bot's own records and the inventory: no secrets.
 */
export interface IncidentExplainer {
  explain(input: {
    title: string;
    service: string;
    facts: readonly Fact[];
    suspects: readonly Suspect[];
    workspaceId: string;
  }): Promise<NonNullable<Diagnosis['narrative']>>;
}
