import { findAction } from '../cloud/actions.ts';
import type { ActionResult } from '../cloud/provider.ts';
import type { ActionRunner } from '../changes/context.ts';
import { AppError, isAppError, isUserFacing } from '../errors.ts';
import type { PlannedAction, PlannedGate, PlannedResourceStep, PlannedStep, WorkflowPlan } from './plan.ts';
import { resolveValue } from './template.ts';

/**
 * Runs an approved workflow plan step by step: each action through its provider (with the step's
 * retries and timeout), each wait by reading the target until it reaches its state. When a step
 * fails, or someone cancels between steps, the completed steps are undone in reverse by their
 * compensations, and the outcome says what was undone and what was not. Nothing is re-run: the
 * caller holds the executor lease, and a run cut short by a restart is recorded as interrupted
 * with its completed steps listed (`record` is called as each step ends).
 */

export type StepStatus = 'succeeded' | 'failed' | 'timed_out' | 'compensated' | 'not_compensated';

/** One step as it ended (or, for `compensated` / `not_compensated`, as it was undone or not). */
export interface StepRecord {
  index: number;
  id: string;
  title: string;
  status: StepStatus;
  attempts: number;
  /** The provider's summary, or what the compensation did. */
  summary: string | null;
  /** The provider's values from before (what the inverse restores). */
  previous: Record<string, string> | null;
  /** What later steps may read as `${steps.<id>.<name>}` (`outputsOf`). */
  outputs: Record<string, string>;
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
}

export interface RunDeps {
  provider(name: string): ActionRunner | undefined;
  now(): Date;
  /** A step of the run, for the thread ("step 2 of 5: Scale web to 4"). Must not throw. */
  progress(step: string): void;
  /** Asked between steps: true when someone asked to stop the run (`cancel CR-n`). */
  cancelRequested(): Promise<boolean>;
  /** Records a step as it ends, before the next begins. */
  record(step: StepRecord): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** How often a wait step reads its target (default 5 s). */
  waitPollMs?: number;
  /**
   * Names the run (its change id): with a step's id, the idempotency key of that step's cloud call,
   * the same on each of its attempts and when a run resumes after a crash (ExecuteOptions).
   */
  runKey?: string;
  /** Where an approval gate stands (absent: every gate is open, and the run waits there). */
  gate?(step: PlannedGate): Promise<GateState>;
}

/** Where an approval gate stands: `by` names who approved it, or who rejected it. */
export type GateState =
  | { state: 'open' }
  | { state: 'approved'; by: string[] }
  | { state: 'rejected'; by: string; reason: string | null }
  | { state: 'lapsed' };

export interface WorkflowOutcome {
  /** `waiting`: stopped at an approval gate (`gate`), nothing undone; the gate's decision resumes it. */
  status: 'succeeded' | 'failed' | 'cancelled' | 'waiting';
  gate?: PlannedGate;
  /** One paragraph for the thread and the card. */
  summary: string;
  steps: StepRecord[];
  error: string | null;
}

/** Errors that another attempt cannot fix: the request itself was refused. */
const final = (e: unknown): boolean =>
  isAppError(e) &&
  ['bad_request', 'not_found', 'forbidden', 'conflict', 'auth_failed', 'config_invalid'].includes(e.code);

/** A step's target with a `${steps.<id>.<output>}` id (a resource an earlier step made) resolved. */
const targetOf = (
  step: PlannedResourceStep,
  outputs: Record<string, Record<string, string>>,
): PlannedResourceStep['target'] => {
  if (!step.target.id.includes('${')) return step.target;
  try {
    return { ...step.target, id: resolveValue(step.target.id, { inputs: {}, steps: outputs }) };
  } catch (e) {
    throw isAppError(e) ? e : new AppError('bad_request', String(e));
  }
};

const messageOf = (e: unknown): string => (isUserFacing(e) ? e.userMessage : 'the cloud provider failed unexpectedly');

class StepTimeout extends Error {}

/**
 * Runs `start` with a timeout. When the time is up (or the work ends), the signal it was given is
 * aborted: a wait step stops polling then, instead of reading its target for ever in the background.
 */
const within = async <T>(
  ms: number,
  sleep: RunDeps['sleep'],
  start: (signal: AbortSignal) => Promise<T>,
): Promise<T> => {
  let settled = false;
  const stop = new AbortController();
  const work = start(stop.signal);
  const timer = sleep(ms).then(() => {
    if (!settled) throw new StepTimeout();
    return undefined as never;
  });
  try {
    return await Promise.race([work, timer]);
  } finally {
    settled = true;
    stop.abort();
    // A provider call that outlives its timeout still settles later; its rejection is not unhandled.
    work.catch(() => undefined);
  }
};

/**
 * `resume`: the run stopped at an approval gate and is taken up again there; `done` are the steps it
 * recorded before (what later steps read, and what a failure from here undoes).
 */
export const runWorkflow = async (
  d: RunDeps,
  plan: WorkflowPlan,
  resume?: { done: StepRecord[] },
): Promise<WorkflowOutcome> => {
  const steps: StepRecord[] = [...(resume?.done ?? [])];
  const outputs: Record<string, Record<string, string>> = Object.fromEntries(
    steps.filter((s) => s.status === 'succeeded').map((s) => [s.id, s.outputs]),
  );
  const from = steps.length ? Math.max(...steps.map((s) => s.index)) + 1 : 0;
  const total = plan.steps.length;
  const end = async (
    status: WorkflowOutcome['status'],
    error: string | null,
    stoppedAt: PlannedStep | undefined,
  ): Promise<WorkflowOutcome> => {
    const done = steps.filter((s) => s.status === 'succeeded');
    if (status === 'succeeded')
      return {
        status,
        error: null,
        steps,
        summary: `${plan.template}: all ${total} steps done.`,
      };
    const undone = await compensate(d, plan, steps, outputs);
    const lines = [
      status === 'cancelled'
        ? `${plan.template}: cancelled before step ${steps.length + 1} of ${total}${stoppedAt ? ` (${stoppedAt.title})` : ''}.`
        : `${plan.template}: step ${steps.findIndex((s) => s.status !== 'succeeded') + 1} of ${total} (${stoppedAt?.title ?? '?'}) failed: ${error}.`,
      done.length === 0
        ? 'No step had completed, so nothing needed undoing.'
        : undone
            .map(
              (u) => `- ${u.title}: ${u.status === 'compensated' ? `undone (${u.summary})` : `NOT undone: ${u.error}`}`,
            )
            .join('\n'),
    ];
    return { status, error, steps: [...steps, ...undone], summary: lines.join('\n') };
  };

  for (const [index, step] of plan.steps.entries()) {
    if (index < from) continue;
    if (index > 0 && (await d.cancelRequested())) return end('cancelled', null, step);
    if (step.kind === 'approval') {
      const gate = d.gate ? await d.gate(step) : ({ state: 'open' } as const);
      if (gate.state === 'open') {
        d.progress(`waiting at step ${index + 1} of ${total}: ${step.title}`);
        return {
          status: 'waiting',
          error: null,
          steps,
          gate: step,
          summary: `${plan.template}: waiting at step ${index + 1} of ${total} (${step.title}) for ${step.quorum} approval${step.quorum === 1 ? '' : 's'} from the ${step.roles.join(' or ')} role.`,
        };
      }
      const at = d.now();
      const record: StepRecord = {
        index,
        id: step.id,
        title: step.title,
        status: gate.state === 'approved' ? 'succeeded' : 'failed',
        attempts: 1,
        summary: gate.state === 'approved' ? `approved by ${gate.by.join(', ')}` : null,
        previous: null,
        outputs: {},
        error:
          gate.state === 'rejected'
            ? `rejected by ${gate.by}${gate.reason ? ` (${gate.reason})` : ''}`
            : gate.state === 'lapsed'
              ? `not approved within ${Math.round(step.timeoutMs / 60_000)} min`
              : null,
        startedAt: at,
        finishedAt: at,
      };
      steps.push(record);
      outputs[step.id] = {};
      await d.record(record);
      if (record.status !== 'succeeded') return end('failed', record.error, step);
      continue;
    }
    d.progress(`step ${index + 1} of ${total}: ${step.title}`);
    const provider = d.provider(step.target.provider);
    const startedAt = d.now();
    let attempts = 0;
    let error: string | null;
    let status: StepStatus;
    let result: ActionResult | undefined;
    for (;;) {
      attempts += 1;
      try {
        if (!provider)
          throw new AppError('config_invalid', `no cloud provider "${step.target.provider}" is configured`);
        const target = targetOf(step, outputs);
        if (step.kind === 'action')
          result = await within(step.timeoutMs, d.sleep, () =>
            runAction(provider, { ...step, target }, outputs, d.runKey ? `${d.runKey}/${step.id}` : undefined),
          );
        else
          result = await within(step.timeoutMs, d.sleep, (signal) => waitFor(d, provider, { ...step, target }, signal));
        status = 'succeeded';
        error = null;
        break;
      } catch (e) {
        const timedOut = e instanceof StepTimeout;
        status = timedOut ? 'timed_out' : 'failed';
        error = timedOut
          ? `did not finish within ${Math.round(step.timeoutMs / 1000)} s${step.kind === 'action' ? ' (the provider may still complete it: check the resource)' : ''}`
          : messageOf(e);
        if (timedOut || final(e) || attempts > step.retries) break;
        d.progress(`step ${index + 1} of ${total}: ${step.title}: attempt ${attempts} failed (${error}); trying again`);
      }
    }
    const record: StepRecord = {
      index,
      id: step.id,
      title: step.title,
      status,
      attempts,
      summary: result?.summary ?? null,
      previous: result?.previous ?? null,
      outputs: result ? outputsOf(resolvedId(step, outputs), result) : {},
      error,
      startedAt,
      finishedAt: d.now(),
    };
    steps.push(record);
    outputs[step.id] = record.outputs;
    await d.record(record);
    if (status !== 'succeeded') return end('failed', error, step);
  }
  return end('succeeded', null, undefined);
};

/**
 * What later steps may read of a step (`${steps.<id>.<name>}`): the target's `id`, its `state`
 * after the step, each value the provider recorded from before as `was_<key>` (a scale-out's
 * `was_replicas`, to scale back to), and what the action reported making.
 */
const outputsOf = (id: string, r: ActionResult): Record<string, string> => ({
  id,
  state: r.newState,
  ...Object.fromEntries(Object.entries(r.previous).map(([k, v]) => [`was_${k}`, v])),
  ...(r.outputs ?? {}),
});

/** Parameters with the outputs known now filled in (a compensation's inverse reads what the step ran with). */
const resolvedParams = (
  params: Record<string, string>,
  outputs: Record<string, Record<string, string>>,
): Record<string, string> =>
  Object.fromEntries(
    Object.entries(params).map(([k, v]) => {
      try {
        return [k, resolveValue(v, { inputs: {}, steps: outputs })];
      } catch {
        return [k, v];
      }
    }),
  );

const resolvedId = (step: PlannedResourceStep, outputs: Record<string, Record<string, string>>): string => {
  try {
    return targetOf(step, outputs).id;
  } catch {
    return step.target.id;
  }
};

const runAction = async (
  provider: ActionRunner,
  step: PlannedAction,
  outputs: Record<string, Record<string, string>>,
  idempotencyKey: string | undefined,
): Promise<ActionResult> => {
  let params: Record<string, string>;
  try {
    params = Object.fromEntries(
      Object.entries(step.params).map(([k, v]) => [k, resolveValue(v, { inputs: {}, steps: outputs })]),
    );
  } catch (e) {
    throw isAppError(e) ? e : new AppError('bad_request', String(e));
  }
  const spec = findAction(provider.actions, step.target.type, step.action);
  if (!spec) throw new AppError('config_invalid', `${step.target.provider} no longer has the action ${step.action}`);
  const parsed = spec.params.safeParse(params);
  if (!parsed.success) throw new AppError('bad_request', parsed.error.issues.map((i) => i.message).join('; '));
  return provider.execute(
    { action: step.action, target: step.target, params },
    idempotencyKey ? { idempotencyKey } : undefined,
  );
};

const waitFor = async (
  d: RunDeps,
  provider: ActionRunner,
  step: Extract<PlannedStep, { kind: 'wait' }>,
  signal: AbortSignal,
): Promise<ActionResult> => {
  if (!provider.describe)
    throw new AppError('config_invalid', `${step.target.provider} cannot read a ${step.target.type} to wait for it`);
  for (;;) {
    // Timed out (the step has failed already): stop reading the target.
    if (signal.aborted) throw new StepTimeout();
    const r = await provider.describe(step.target);
    if (!r) throw new AppError('not_found', `${step.resourceName} no longer exists`);
    if (r.state === step.until)
      return { summary: `${step.resourceName} is ${r.state}`, newState: r.state, previous: {} };
    await d.sleep(d.waitPollMs ?? 5_000);
  }
};

/** Undoes the completed action steps in reverse; each compensation is recorded like a step. */
const compensate = async (
  d: RunDeps,
  plan: WorkflowPlan,
  steps: StepRecord[],
  outputs: Record<string, Record<string, string>>,
): Promise<StepRecord[]> => {
  const out: StepRecord[] = [];
  for (const done of [...steps].reverse()) {
    if (done.status !== 'succeeded') continue;
    const step = plan.steps[done.index]!;
    if (step.kind !== 'action') continue;
    const startedAt = d.now();
    const undone = (status: StepStatus, summary: string | null, error: string | null): StepRecord => ({
      ...done,
      status,
      attempts: 1,
      summary,
      error,
      startedAt,
      finishedAt: d.now(),
    });
    let record: StepRecord;
    const provider = d.provider(step.target.provider);
    const spec = provider ? findAction(provider.actions, step.target.type, step.action) : undefined;
    const inverse =
      step.compensate === null
        ? { why: 'the template gives it no compensation' }
        : step.compensate === 'inverse'
          ? (spec?.inverse({ params: resolvedParams(step.params, outputs), previous: done.previous ?? {} }) ?? {
              why: 'its action is gone',
            })
          : {
              action: step.compensate.action,
              params: Object.fromEntries(
                Object.entries(step.compensate.params).map(([k, v]) => [
                  k,
                  resolveValue(v, { inputs: {}, steps: outputs }),
                ]),
              ),
            };
    if ('why' in inverse || !provider)
      record = undone('not_compensated', null, 'why' in inverse ? inverse.why : 'no provider');
    else {
      d.progress(`undoing ${step.title}`);
      try {
        const r = await provider.execute({
          action: inverse.action,
          target: targetOf(step, outputs),
          params: inverse.params,
        });
        record = undone('compensated', r.summary, null);
      } catch (e) {
        record = undone('not_compensated', null, messageOf(e));
      }
    }
    out.push(record);
    await d.record(record);
  }
  return out;
};
