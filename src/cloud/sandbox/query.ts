import { AppError } from '../../errors.ts';
import { appCodeForAws } from '../aws/errors.ts';
import type { Tags } from './model.ts';

/**
 * Reading EC2 Query API parameters the way EC2 does: numbered lists (`InstanceId.1`), filters
 * (`Filter.1.Name`, `Filter.1.Value.1`, with `*`/`?` wildcards), MaxResults/NextToken paging.
 */

/**
 * An EC2 error as it goes back on the wire: `ec2Code` (EC2's Code, e.g. `InvalidParameterValue`),
 * the message and the HTTP status. As an AppError its `code` is what the app makes of that EC2 code
 * (appCodeForAws, e.g. bad_request); the sandbox server answers with `ec2Code`.
 */
export class Ec2Error extends AppError {
  readonly ec2Code: string;
  readonly status: number;
  constructor(ec2Code: string, message: string, status = 400) {
    super(appCodeForAws(ec2Code), message);
    this.name = 'Ec2Error';
    this.ec2Code = ec2Code;
    this.status = status;
  }
}

export type Params = Record<string, string>;

/** `Prefix.1`, `Prefix.2`, … in numeric order (the SDK numbers from 1). */
export const listParam = (params: Params, prefix: string): string[] =>
  Object.entries(params)
    .map(([k, v]) => [new RegExp(`^${prefix.replaceAll('.', '\\.')}\\.(\\d+)$`).exec(k)?.[1], v] as const)
    .filter((e): e is readonly [string, string] => e[0] !== undefined)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map((e) => e[1]);

export interface Filter {
  name: string;
  values: string[];
}

export const filtersOf = (params: Params): Filter[] => {
  const filters: Filter[] = [];
  for (let n = 1; params[`Filter.${n}.Name`] !== undefined; n++) {
    const name = params[`Filter.${n}.Name`] ?? '';
    filters.push({ name, values: listParam(params, `Filter.${n}.Value`) });
  }
  return filters;
};

const globCache = new Map<string, RegExp>();
/** EC2 filter values allow `*` (any run) and `?` (one character); everything else is literal. */
export const globMatch = (pattern: string, value: string): boolean => {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 's');
    globCache.set(pattern, re);
  }
  return re.test(value);
};

/** How to read one filter name's values off an item; tag filters are handled for every type. */
export type FilterFields<T> = Record<string, (item: T) => Array<string | undefined>>;

/** Applies EC2 filter semantics: values of one filter are OR-ed, filters are AND-ed. */
export const applyFilters = <T extends { tags: Tags }>(items: T[], filters: Filter[], fields: FilterFields<T>): T[] => {
  const tests = filters.map((f) => {
    const read: ((item: T) => Array<string | undefined>) | undefined = f.name.startsWith('tag:')
      ? (item) => [item.tags[f.name.slice(4)]]
      : f.name === 'tag-key'
        ? (item) => Object.keys(item.tags)
        : f.name === 'tag-value'
          ? (item) => Object.values(item.tags)
          : fields[f.name];
    if (!read) throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    return (item: T) => read(item).some((v) => v !== undefined && f.values.some((p) => globMatch(p, v)));
  });
  return items.filter((item) => tests.every((t) => t(item)));
};

/** Opaque to clients, like EC2's; carries the action so a token cannot be replayed elsewhere. */
const encodeToken = (action: string, offset: number): string =>
  Buffer.from(JSON.stringify({ a: action, o: offset })).toString('base64url');
const decodeToken = (action: string, token: string): number => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      parsed &&
      typeof parsed === 'object' &&
      'a' in parsed &&
      'o' in parsed &&
      parsed.a === action &&
      Number.isInteger(parsed.o)
    )
      return Number(parsed.o);
  } catch {
    // fall through to EC2's own error
  }
  throw new Ec2Error('InvalidPaginationToken', `The pagination token '${token}' is invalid or expired.`);
};

export interface PageLimits {
  action: string;
  min: number;
  max: number;
  /** The id list parameter EC2 refuses to combine with MaxResults (e.g. `InstanceId`). */
  idParam: string;
}

/** One page of `items` per MaxResults/NextToken, with EC2's validation of both. */
export const paginate = <T>(items: T[], params: Params, limits: PageLimits): { page: T[]; nextToken?: string } => {
  const raw = params.MaxResults;
  const offset = params.NextToken ? decodeToken(limits.action, params.NextToken) : 0;
  if (raw === undefined) return { page: items.slice(offset) };
  if (listParam(params, limits.idParam).length > 0) {
    throw new Ec2Error(
      'InvalidParameterCombination',
      `The parameter ${limits.idParam} cannot be used with the parameter maxResults`,
    );
  }
  const max = Number(raw);
  if (!Number.isInteger(max) || max < limits.min || max > limits.max) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value ( ${raw} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`,
    );
  }
  const page = items.slice(offset, offset + max);
  return offset + max < items.length ? { page, nextToken: encodeToken(limits.action, offset + max) } : { page };
};

/**
 * What every paged Describe* call does after choosing its items: EC2's filters (see applyFilters),
 * then one page of what they kept (see paginate). Filter errors come before paging errors, as on EC2.
 */
export const filterAndPage = <T extends { tags: Tags }>(
  items: T[],
  params: Params,
  fields: FilterFields<T>,
  limits: PageLimits,
): { page: T[]; nextToken?: string } => paginate(applyFilters(items, filtersOf(params), fields), params, limits);
