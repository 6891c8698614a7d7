import { z } from 'zod';
import { closest } from '../chat/suggest.ts';
import { AppError, badRequest } from '../errors.ts';
import type { Resource, ResourceType } from './resource.ts';

/**
 * Actions as data. Each provider declares what it can do to each resource type: the parameters
 * (a zod schema), the states it applies to, the words for the card, the inverse recorded for
 * rollback and the blast radius. The change tools, the card, the policy, the executor, the audit
 * and rollback stay generic: none of them knows what "deallocate" or "cordon" means.
 */

/** Action names are lower_snake words (`stop`, `deallocate`, `rollout_restart`); policy files match them. */
export const ActionNamePattern = /^[a-z][a-z0-9_]{0,39}$/;

/** What an action is described against: the resource as the inventory last saw it. */
export type ActionSubject = Pick<
  Resource,
  'provider' | 'account' | 'region' | 'type' | 'id' | 'name' | 'state' | 'environment' | 'attributes' | 'tags'
> & { monthlyCostCents: number };

/** The inverse of an action: what to run to undo it, or why nothing can. */
export type Inverse = { action: string; params: Record<string, string> } | { why: string };

/** What a provider can check about an action's parameters before a plan is filed. */
export interface ActionCheckContext {
  /** Valid sizes (instance types, VM sizes, machine types) for the subject's type in its region. */
  sizes(): Promise<string[]>;
  /** Estimated monthly cost in cents of the subject's type at a size in its region (undefined: unpriced). */
  monthlyCostAt(size: string): number | undefined;
}

export interface ActionSpec {
  /** lower_snake name stored in change requests and matched by policy (`stop`, `scale`). */
  name: string;
  /** Other words people use for it on this provider (`stop` for Azure's deallocate, `restart` for reboot). */
  aliases?: string[];
  /** Card and summary verb: "Deallocate", "Scale". */
  title: string;
  /** Present participle for progress and errors: "deallocating". */
  doing: string;
  /** One line for help and pickers: "Stop the VM and release its compute (billing stops)". */
  description: string;
  /**
   * Parameters, as strings (they travel through buttons and JSON). `z.object({})` when none. A
   * `size` parameter means a resize: its choices are the provider's `sizesFor` and the current
   * size is `attributes[sizeAttribute]`.
   */
  params: z.ZodObject<Record<string, z.ZodType<string | undefined>>>;
  /** The attribute holding the current size, for actions with a `size` parameter (`instanceType`, `vmSize`). */
  sizeAttribute?: string;
  /**
   * The action removes the resource (delete a snapshot, release an address): once it has run,
   * the inventory marks the resource gone at once, without reading it back from the cloud.
   */
  deletes?: boolean;
  /**
   * Run only to undo an earlier change (a rollback, a workflow's compensation), never asked for on
   * its own: its parameters are what the provider recorded (a whole object written back), not
   * something a person or a template should type. Not offered on buttons, pickers or `do`.
   */
  inverseOnly?: boolean;
  /** States the resource must be in (absent: any). */
  states?: string[];
  /** States in which the action would change nothing ("already stopped"). */
  doneStates?: string[];
  /** Further checks that need the provider (a valid size, a replica count in range); throws AppError. */
  check?(subject: ActionSubject, params: Record<string, string>, ctx: ActionCheckContext): Promise<void>;
  /** Words for what else is affected, without the production note (the change tool adds it). */
  blastRadius(subject: ActionSubject, params: Record<string, string>): string;
  /** Extra words after the summary's verb and resource ("to t3.large", "to 5 replicas"). */
  detail?(subject: ActionSubject, params: Record<string, string>): string;
  /** Estimated monthly cost change in cents (negative saves money); 0 when it does not change the bill. */
  costDeltaCents?(subject: ActionSubject, params: Record<string, string>, ctx: ActionCheckContext): number;
  /**
   * The action that undoes this one. Called at plan time with the subject as seen (`previous`
   * absent), and at rollback time with the provider's recorded previous values (ActionResult.previous).
   */
  inverse(args: {
    params: Record<string, string>;
    subject?: ActionSubject;
    previous?: Record<string, string>;
  }): Inverse;
}

/** The actions one provider declares, by resource type. */
export type ActionCatalog = Partial<Record<ResourceType, ActionSpec[]>>;

/** The spec named `name` (or one of its aliases) for a type, if the catalog has it. */
export const findAction = (catalog: ActionCatalog, type: string, name: string): ActionSpec | undefined => {
  const specs = catalog[type as ResourceType] ?? [];
  const n = name.toLowerCase();
  return specs.find((s) => s.name === n) ?? specs.find((s) => s.aliases?.includes(n));
};

/** `name (id)` or just the id. */
export const subjectLabel = (s: Pick<ActionSubject, 'name' | 'id'>): string =>
  s.name && s.name !== s.id ? `${s.name} (${s.id})` : s.id;

/** No parameters. */
export const noParams = z.object({});

/** Undoes a power action from the state recorded before it ran (or, at plan time, the one seen). */
export const powerInverse =
  (self: string, startName: string, stopName: string) =>
  ({ subject, previous }: Parameters<ActionSpec['inverse']>[0]): Inverse => {
    const before = previous?.state ?? subject?.state;
    const running = ['running', 'pending', 'starting'];
    const stopped = ['stopped', 'stopping', 'deallocated', 'deallocating', 'terminated'];
    const inverse =
      before && running.includes(before) ? startName : before && stopped.includes(before) ? stopName : undefined;
    if (!inverse) return { why: 'its previous state was not recorded' };
    if (inverse === self) return { why: `the resource was already ${before} before it ran` };
    return { action: inverse, params: {} };
  };

/** A resize's inverse: back to the size recorded before it ran (or seen at plan time). */
export const sizeInverse =
  (actionName: string, sizeAttribute: string) =>
  ({ subject, previous }: Parameters<ActionSpec['inverse']>[0]): Inverse => {
    const size = previous?.size ?? (subject ? String(subject.attributes[sizeAttribute] ?? '') : '');
    return size ? { action: actionName, params: { size } } : { why: 'its previous size was not recorded' };
  };

/** Checks `size` against what the cloud offers, with a "did you mean" for a near miss. */
export const checkSize = async (
  size: string,
  current: string,
  name: string,
  sizes: () => Promise<string[]>,
): Promise<void> => {
  const valid = await sizes();
  if (!valid.includes(size)) {
    const guess = closest(size, valid);
    const shown = valid.length > 40 ? `${valid.slice(0, 40).join(', ')} … (${valid.length} in all)` : valid.join(', ');
    throw badRequest(
      `“${size}” is not a size I can resize to.${guess ? ` Did you mean \`${guess}\`?` : ''} Valid sizes: ${shown}.`,
      undefined,
      'size',
    );
  }
  if (current === size) throw new AppError('conflict', `${name} is already ${size}.`, { field: 'size' });
};
