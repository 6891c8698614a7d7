import { actorKey, type Actor, type Role } from '../chat/actor.ts';
import { AppError } from '../errors.ts';
import type { AppliedPolicy, ChangeRequest } from './model.ts';

/** Human texts for why a change request cannot be decided any more, naming who did what and when. */

/** `2026-11-02 10:04 UTC`: minutes are enough for people and never depend on the reader's zone. */
export const formatTime = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

const orList = (words: readonly string[]): string =>
  words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]!}`;

export const rolesText = (roles: readonly Role[]): string => `${orList(roles)} role`;

type Approvers = Pick<AppliedPolicy, 'approverRoles' | 'approverGroups'>;

const groupsText = (p: Approvers): string | undefined =>
  p.approverGroups?.length ? `${orList(p.approverGroups.map((g) => g.name))} group` : undefined;

/** Who approves, after "from the": `approver or admin role`, `dba group`, `admin role or the dba or sre group`. */
export const approversText = (p: Approvers): string => {
  const roles = p.approverRoles.length ? rolesText(p.approverRoles) : undefined;
  const groups = groupsText(p);
  return roles && groups ? `${roles} or the ${groups}` : (roles ?? groups ?? 'nobody');
};

/** What approving needs, after "needs": `the approver or admin role`, `someone in the dba group`, or both. */
export const approverNeedText = (p: Approvers): string => {
  const roles = p.approverRoles.length ? `the ${rolesText(p.approverRoles)}` : undefined;
  const groups = groupsText(p);
  const inGroup = groups ? `someone in the ${groups}` : undefined;
  return roles && inGroup ? `${roles} or ${inGroup}` : (roles ?? inGroup ?? 'someone the policy names');
};

/** `someone else with the approver or admin role`, `someone else in the dba group`, or both. */
export const someoneElseText = (p: Approvers): string => {
  const roles = p.approverRoles.length ? `with the ${rolesText(p.approverRoles)}` : undefined;
  const groups = groupsText(p);
  const inGroup = groups ? `in the ${groups}` : undefined;
  return `someone else ${roles && inGroup ? `${roles} or ${inGroup}` : (roles ?? inGroup ?? 'the policy names')}`;
};

/**
 * "approved by Bob at …" or "auto-approved by policy rule "dev" at …". `who` names the approver:
 * the display name (errors, logs), or an inline mention on the card (chat/mention.ts).
 */
export const approvalText = (c: ChangeRequest, who: (a: Actor) => string = (a) => a.displayName): string => {
  if (!c.decidedBy)
    return `auto-approved by policy rule "${c.policy.rule}"${c.startedAt ? ` at ${formatTime(c.startedAt)}` : ''}`;
  const key = actorKey(c.decidedBy);
  const at = c.decisions.find((d) => d.approverKey === key && d.decision === 'approved')?.at;
  return `approved by ${who(c.decidedBy)}${at ? ` at ${formatTime(at)}` : ''}`;
};

const rejectionText = (c: ChangeRequest): string => {
  const d = c.decisions.find((x) => x.decision === 'rejected');
  const who = c.decidedBy?.displayName ?? d?.approver.displayName ?? 'someone';
  const withdrawn = c.decidedBy && actorKey(c.decidedBy) === c.requesterKey;
  return `${c.id} was ${withdrawn ? 'withdrawn' : 'rejected'} by ${who}${d ? ` at ${formatTime(d.at)}` : ''}${c.reason ? `: ${c.reason}` : ''}.`;
};

const finished = (c: ChangeRequest): string => (c.finishedAt ? ` at ${formatTime(c.finishedAt)}` : '');

/** The error for deciding (approving, rejecting) a request that is no longer pending. */
export const closedError = (c: ChangeRequest): AppError => {
  const approved = `${c.id} was already ${approvalText(c)}`;
  switch (c.status) {
    case 'approved':
      return new AppError('conflict', `${approved}; it is about to run.`);
    case 'executing':
      return new AppError('conflict', `${approved} and is running now.`);
    case 'waiting':
      return new AppError(
        'conflict',
        `${approved}; its run waits at an approval gate (\`approve ${c.id}\` decides the gate).`,
      );
    case 'succeeded':
      return new AppError('conflict', `${approved} and succeeded${finished(c)}.`);
    case 'failed':
      return new AppError('conflict', `${approved} and failed${finished(c)}: ${c.error ?? 'unknown error'}.`);
    case 'rolled_back':
      return new AppError(
        'conflict',
        `${approved}, ran, and has since been rolled back (${c.reason ?? 'by a later change'}).`,
      );
    case 'interrupted':
      return new AppError(
        'conflict',
        `${c.id} was ${approvalText(c)} but interrupted while running (the service restarted); it was not re-run. Check the resource before requesting it again.`,
      );
    case 'rejected':
      return new AppError('conflict', rejectionText(c));
    case 'expired':
      return new AppError(
        'expired',
        `${c.id} expired${c.expiresAt ? ` at ${formatTime(c.expiresAt)}` : ''} before it got enough approvals; request it again if it is still needed.`,
      );
    case 'draft':
      return new AppError('conflict', `${c.id} is a draft and has not been submitted yet.`);
    case 'pending':
      return new AppError('conflict', `${c.id} is still waiting for approval.`);
  }
};
