import { z } from 'zod';
import type { Actor, ConversationRef } from '../../chat/actor.ts';
import { ActionIds } from '../../chat/interaction.ts';
import type { Reply } from '../../chat/reply.ts';
import type { ConversationEngine } from '../../engine/engine.ts';
import { formatZodIssues } from '../../errors.ts';
import { HttpError, statusByCode } from '../../http/errors.ts';
import { json, type HttpRequest, type HttpResponse, type Route } from '../../http/route.ts';
import { pageHeaders } from './assets.ts';
import { renderMessagePage, type Notice } from './page.ts';
import type { WebAuth } from './ports.ts';

/**
 * Approving and rejecting from the dashboard: the same `Interaction` as a click on a chat card's
 * button (`change.approve` / `change.reject`), so the same roles, policy, freezes and audit apply.
 *
 * The conversation: the engine stores the click ("approve CR-12") and its private answer in a
 * conversation, like a click in chat. The dashboard is not a chat, so each workspace has one
 * conversation for it, channel `dashboard` on the viewer's own surface and workspace
 * (`dashboardConversation`). Nothing is ever posted to it: change cards elsewhere are updated in
 * place by the notifier, and the requester hears the outcome where they asked. On the console,
 * whose channels are names, it shows as the channel `dashboard` (the history of web decisions).
 */
export const dashboardChannelId = 'dashboard';

export const dashboardConversation = (actor: Actor): ConversationRef => ({
  surface: actor.surface,
  workspaceId: actor.workspaceId,
  channelId: dashboardChannelId,
});

const ChangeId = z
  .string()
  .trim()
  .regex(/^CR-[1-9]\d*$/, 'a change id looks like CR-12');
export const DecideBody = z.object({
  changeId: ChangeId,
  decision: z.enum(['approve', 'reject'], 'must be approve or reject'),
  reason: z.string().trim().max(500, 'a reason is at most 500 characters').optional(),
});
export type DecideBody = z.infer<typeof DecideBody>;

export interface DecisionOutcome {
  /**
   * 200 decided; otherwise the status of the engine's error code (statusByCode): 403 refused (the
   * role, the policy, one's own request), 404 no such change, 409 held (a freeze or a window:
   * override in chat) or already decided, 503 the database is down, 500 a bug.
   */
  status: number;
  /** The engine's answer as it would read in chat. */
  text: string;
}

/**
 * What the engine's answer means: it marks a refusal or a failure with its error code
 * (`Reply.errorCode`); a decision taken is answered with the clicker's private confirmation.
 */
export const decisionOutcome = (replies: Reply[]): DecisionOutcome => {
  if (replies.length === 0) return { status: 500, text: 'The engine gave no answer.' };
  const text = replies.map((r) => r.text).join('\n');
  const code = replies.find((r) => r.errorCode)?.errorCode;
  return { status: code ? statusByCode[code] : 200, text };
};

const flashCookie = 'dashboard_notice';

/** A notice for the next page, in a short-lived cookie (a form posted without script is answered with a redirect). */
const noticeCookie = (notice: Notice, secure: boolean): string =>
  `${flashCookie}=${encodeURIComponent(JSON.stringify(notice).slice(0, 3000))}; Path=/dashboard; Max-Age=60; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

const NoticeValue = z.object({ text: z.string().max(2000), ok: z.boolean() });

/** The notice a redirect left for this page, and the header that clears it. */
export const readNotice = (req: HttpRequest): { notice?: Notice; clear?: string } => {
  const raw = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${flashCookie}=`));
  if (!raw) return {};
  const clear = `${flashCookie}=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Lax`;
  try {
    const parsed = NoticeValue.safeParse(JSON.parse(decodeURIComponent(raw.slice(flashCookie.length + 1))));
    return parsed.success ? { notice: parsed.data, clear } : { clear };
  } catch {
    return { clear };
  }
};

/** Only a page of the dashboard: a form's `next` cannot send anyone elsewhere. */
export const safeNext = (next: string | null | undefined): string =>
  next && /^\/dashboard(\/[a-z]+)?(\?[^#\s]*)?$/.test(next) ? next : '/dashboard';

export const decideRoutes = (deps: {
  auth: WebAuth;
  engine: Pick<ConversationEngine, 'handleInteraction'>;
}): Route[] => {
  const { auth, engine } = deps;

  const decide = async (actor: Actor, body: DecideBody): Promise<DecisionOutcome> => {
    const replies = await engine.handleInteraction({
      actor,
      conversation: dashboardConversation(actor),
      actionId: body.decision === 'approve' ? ActionIds.approve : ActionIds.reject,
      value: body.changeId,
      ...(body.decision === 'reject' && body.reason ? { inputs: { reason: body.reason } } : {}),
    });
    return decisionOutcome(replies);
  };

  return [
    {
      method: 'POST',
      path: '/dashboard/api/decide',
      bodyLimitBytes: 8 * 1024,
      handle: async (req) => {
        const session = await auth.session(req);
        if (!session) {
          // Back to the page the decision was taken on (the script says which), else the approvals.
          const page = req.headers['x-dashboard-page'];
          const next = typeof page === 'string' ? safeNext(page) : '/dashboard/approvals';
          return json(401, {
            error: 'You are not signed in, or your session has expired: sign in again.',
            signIn: auth.signInPath(next),
          });
        }
        auth.requireCsrf(req, session);
        if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
          throw new HttpError(415, 'expected Content-Type: application/json');
        const body = req.json(DecideBody);
        const outcome = await decide(session.viewer.actor, body);
        return json(outcome.status, { ok: outcome.status === 200, text: outcome.text });
      },
    },
    {
      // The same without script: a form with the token in its hidden `csrf` field, answered with a redirect.
      method: 'POST',
      path: '/dashboard/decide',
      bodyLimitBytes: 8 * 1024,
      handle: async (req) => {
        const form = new URLSearchParams(req.rawBody.toString('utf8'));
        const next = safeNext(form.get('next'));
        const session = await auth.session(req);
        if (!session) return { status: 303, headers: { location: auth.signInPath(next), 'cache-control': 'no-store' } };
        // The port reads the token from the header the page's script sends; a form carries it in a field.
        auth.requireCsrf({ ...req, headers: { ...req.headers, 'x-csrf-token': form.get('csrf') ?? '' } }, session);
        const parsed = DecideBody.safeParse({
          changeId: form.get('changeId') ?? '',
          decision: form.get('decision') ?? '',
          ...(form.get('reason') ? { reason: form.get('reason') } : {}),
        });
        const page = (status: number, title: string, message: string): HttpResponse => ({
          status,
          headers: { ...pageHeaders, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
          body: renderMessagePage(title, message, next),
        });
        if (!parsed.success)
          return page(400, 'Not decided', `The form was not valid: ${formatZodIssues(parsed.error)}.`);
        const outcome = await decide(session.viewer.actor, parsed.data);
        if (outcome.status !== 200) return page(outcome.status, 'Not decided', outcome.text);
        const secure = req.headers['x-forwarded-proto'] === 'https';
        return {
          status: 303,
          headers: {
            location: next,
            'cache-control': 'no-store',
            'set-cookie': noticeCookie({ text: outcome.text, ok: true }, secure),
          },
        };
      },
    },
  ];
};
