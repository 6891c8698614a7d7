import { z } from 'zod';
import { IncidentStatus, SignalKind, Urgency } from '../model.ts';

/**
 * What the router is told about an incident event (`IncidentRouter.notify`), checked with zod:
 * the incident as the thread shows it, and diagnosis's top facts when there are some. Facts are
 * built from the bot's own records and the inventory: no secrets.
 */
export const IncidentRouteEvent = z.object({
  workspaceId: z.string().min(1),
  incidentId: z.number().int().positive(),
  kind: SignalKind,
  incident: z.object({
    number: z.number().int().positive().optional(),
    title: z.string().min(1).max(1000),
    service: z.string().min(1).max(200),
    urgency: Urgency,
    status: IncidentStatus,
    /** The incident on the alert source's site (PagerDuty). */
    htmlUrl: z.url().optional(),
    /** The incident's chat thread (a Slack permalink, the console URL). */
    threadUrl: z.url().optional(),
  }),
  /** Diagnosis's top facts, most likely related first; the first five are sent. */
  facts: z.array(z.string().min(1).max(500)).optional(),
});
export type IncidentRouteEvent = z.infer<typeof IncidentRouteEvent>;

/** One event as it is delivered: with when it happened and the repeats grouped into it. */
export interface IncidentNotice {
  event: IncidentRouteEvent;
  occurredAt: Date;
  /** Repeats of this incident and kind not sent on their own (inside the dedup window, or held). */
  repeats: number;
}

/** How many facts a notice carries at most. */
export const MAX_FACTS = 5;

/** `[TRIGGERED] #42 checkout-api: High error rate (+3 repeats)`: one line, no control characters. */
export const noticeLine = (n: IncidentNotice): string => {
  const { incident } = n.event;
  const number = incident.number ? `#${incident.number} ` : '';
  const repeats = n.repeats > 0 ? ` (+${n.repeats} repeat${n.repeats === 1 ? '' : 's'})` : '';
  return oneLine(`[${n.event.kind.toUpperCase()}] ${number}${incident.service}: ${incident.title}${repeats}`);
};

/** Control characters (a CR/LF in a title would start a new mail header) become spaces. */
export const oneLine = (s: string): string =>
  s
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
