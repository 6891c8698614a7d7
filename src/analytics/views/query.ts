import { z } from 'zod';
import { badRequest, formatZodIssues } from '../../errors.ts';
import type { Filter, ViewName } from './model.ts';

/**
 * A view's query string, checked with zod before anything is read: every parameter is one the
 * view takes, and every value one it accepts. A value that makes no sense (`provider=ibm`,
 * `limit=-3`, `dir=sideways`, `offset=x`, a sort key the view lacks) is a `bad_request` whose
 * message names the parameter, what was given and what is accepted; the page shows it as is.
 * An empty value means "any" (the page sends `provider=` for a filter left open).
 */

/** Rows a page shows when the query says nothing, and the most it may ask for. */
export const defaultLimit = 50;
export const maxLimit = 200;
/** The furthest a page may start: far beyond any table here, small enough to stay cheap. */
export const maxOffset = 1_000_000;

const shown = (v: string): string => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

/** One of `values`; the error lists them (or the first 20) and echoes what was given. */
export const oneOf = <T extends string>(values: readonly T[], what = 'one of') =>
  z
    .string()
    .superRefine((v, ctx) => {
      if ((values as readonly string[]).includes(v)) return;
      const list = values.length > 20 ? `${values.slice(0, 20).join(', ')}, …` : values.join(', ');
      ctx.addIssue({
        code: 'custom',
        message: values.length
          ? `must be ${what} ${list} (got ${shown(v)})`
          : `no value is possible yet (got ${shown(v)})`,
      });
    })
    .transform((v) => v as T);

/** A whole number from `min` to `max`, given as decimal digits. */
export const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .superRefine((v, ctx) => {
      const n = /^\d{1,9}$/.test(v) ? Number(v) : NaN;
      if (!(n >= min && n <= max))
        ctx.addIssue({
          code: 'custom',
          message: `must be a whole number from ${min} to ${max.toLocaleString('en-US')} (got ${shown(v)})`,
        });
    })
    .transform(Number);

/** Free text typed into a filter (a name, part of an id). */
export const text = () =>
  z
    .string()
    .max(200, 'must be at most 200 characters')
    .refine((v) => ![...v].some((c) => c.charCodeAt(0) < 0x20), {
      message: 'must not hold control characters',
    });

export type Dir = 'asc' | 'desc';

/** The parameters of a view's main table: sort (one of `keys`), dir, offset, limit. */
export const tableShape = <K extends string>(keys: readonly K[]) => ({
  sort: oneOf(keys, 'a sort key:').optional(),
  dir: oneOf<Dir>(['asc', 'desc']).optional(),
  offset: wholeNumber(0, maxOffset).optional(),
  limit: wholeNumber(1, maxLimit).optional(),
});

/** A page of a main table as the SQL reads it. */
export interface Page<K extends string> {
  sort: K;
  dir: Dir;
  offset: number;
  limit: number;
}

/** The page a parsed query asks for, with the view's default sort. */
export const pageOf = <K extends string>(
  q: { sort?: K | undefined; dir?: Dir | undefined; offset?: number | undefined; limit?: number | undefined },
  defaults: { sort: K; dir: Dir },
): Page<K> => ({
  sort: q.sort ?? defaults.sort,
  // A sort key given without a direction keeps the default direction only for the default key.
  dir: q.dir ?? (q.sort === undefined || q.sort === defaults.sort ? defaults.dir : 'asc'),
  offset: q.offset ?? 0,
  limit: q.limit ?? defaultLimit,
});

/**
 * Parses a view's query against its shape: unknown parameter names and bad values are refused
 * with one message naming each.
 */
export const parseQuery = <S extends z.ZodRawShape>(
  view: ViewName,
  shape: S,
  query: Record<string, string>,
): z.infer<z.ZodObject<S>> => {
  const accepted = Object.keys(shape);
  const unknown = Object.keys(query).filter((k) => !accepted.includes(k));
  if (unknown.length > 0)
    throw badRequest(
      `The ${view} view has no parameter ${unknown.map((k) => shown(k)).join(', ')}; it takes ${
        accepted.length ? accepted.join(', ') : 'none'
      }.`,
      undefined,
      unknown[0],
    );
  const given = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''));
  const parsed = z.object(shape).safeParse(given);
  if (!parsed.success)
    throw badRequest(
      `The ${view} view cannot show that: ${formatZodIssues(parsed.error)}.`,
      parsed.error,
      String(parsed.error.issues[0]?.path[0] ?? ''),
    );
  return parsed.data;
};

/**
 * Checks a filter value against what the data holds (accounts, services, requesters read from
 * the database), in the same words as parseQuery.
 */
export const checkKnown = (view: ViewName, name: string, value: string | undefined, known: readonly string[]) => {
  if (value === undefined || known.includes(value)) return;
  const r = z.object({ [name]: oneOf(known) }).safeParse({ [name]: value });
  if (!r.success) throw badRequest(`The ${view} view cannot show that: ${formatZodIssues(r.error)}.`, r.error, name);
};

/** A select filter whose options are `values` (labels default to the values). */
export const selectFilter = (
  name: string,
  label: string,
  value: string | undefined,
  values: readonly (string | { value: string; label: string })[],
): Filter => ({
  name,
  label,
  kind: 'select',
  options: values.map((v) => (typeof v === 'string' ? { value: v, label: v } : v)),
  value: value ?? '',
});

/** A free-text filter. */
export const textFilter = (name: string, label: string, value: string | undefined): Filter => ({
  name,
  label,
  kind: 'text',
  value: value ?? '',
});
