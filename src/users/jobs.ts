import type { ConversationRef } from '../chat/actor.ts';
import { mention } from '../chat/mention.ts';
import { textReply, type Reply } from '../chat/reply.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../store/db.ts';
import { expireDueGrants, type RoleGrant } from './grants.ts';

/** Temporary role grants whose time is up are closed (audited) and announced where they were granted. */
export const grantExpiryJob = 'roles.expire';

/** `⌛ @Bob's approver grant expired (granted by @Carol for 2 h: "…"); they are back to their own role.` */
export const expiryMessage = (g: RoleGrant): Reply =>
  textReply(
    `⌛ ${mention({ surface: g.surface, userId: g.userId, displayName: g.displayName })}'s ${g.role} grant expired` +
      ` (granted by ${mention(g.grantedBy)}${g.reason ? `: “${g.reason}”` : ''}); they are back to their own role.`,
  );

export interface GrantJobDeps {
  db: Db;
  now: () => Date;
  logger: Logger;
  intervalMs: number;
  /** Posts into a conversation (the app: the conversation's surface); a failure is logged, the grant stays closed. */
  post: (conversation: ConversationRef, reply: Reply) => Promise<unknown>;
}

/** One pass: close what is due, then say so. Exported for tests that drive it by hand. */
export const expireGrants = async (d: Omit<GrantJobDeps, 'intervalMs'>): Promise<RoleGrant[]> => {
  const closed = await expireDueGrants(d.db, d.now());
  for (const g of closed) {
    d.logger.info(
      { event: 'role.temporary_expired', grant: g.id, userId: g.userId, role: g.role, workspaceId: g.workspaceId },
      'temporary role grant expired',
    );
    await d
      .post(g.conversation, expiryMessage(g))
      .catch((err: unknown) => d.logger.warn({ err, grant: g.id }, 'could not announce an expired role grant'));
  }
  return closed;
};

export const registerGrantJobs = async (scheduler: Scheduler, d: GrantJobDeps): Promise<void> => {
  // Compare-and-sets, so a short lock lifetime costs nothing and keeps expiries on time after a crash.
  scheduler.define(
    grantExpiryJob,
    async () => {
      await expireGrants(d);
    },
    undefined,
    { lockLifetimeMs: Math.max(d.intervalMs * 2, 60_000) },
  );
  await scheduler.every(d.intervalMs, grantExpiryJob);
};
