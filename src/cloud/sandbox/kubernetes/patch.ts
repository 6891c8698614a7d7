/**
 * The three patch formats the API server accepts on PATCH: JSON Patch (RFC 6902, the client's
 * default content type), JSON Merge Patch (RFC 7386) and strategic merge patch (merge patch
 * whose lists of named objects, such as containers, merge by `name` instead of being replaced).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A patch the server refuses; `status` is the HTTP status it answers (422 for a failed test op). */
export class PatchError extends Error {
  readonly status: number;
  constructor(message: string, status = 422) {
    super(message);
    this.status = status;
  }
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

const pointer = (path: string): string[] => {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
};

const parentOf = (doc: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; key: string } => {
  let cur: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (next === undefined) throw new PatchError(`doc is missing path: ${path}`);
    cur = next;
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchError(`doc is missing path: ${path}`);
  return { parent: cur, key: tokens[tokens.length - 1]! };
};

const arrayIndex = (arr: Json[], key: string, path: string, forAdd: boolean): number => {
  if (forAdd && key === '-') return arr.length;
  const i = Number(key);
  if (!/^\d+$/.test(key) || i > arr.length || (!forAdd && i === arr.length))
    throw new PatchError(`invalid array index in path: ${path}`);
  return i;
};

export interface JsonPatchOp {
  op: string;
  path: string;
  value?: Json;
  from?: string;
}

/** RFC 6902 add / remove / replace / test / copy / move, on a copy of `doc`. */
export const applyJsonPatch = (doc: Json, ops: JsonPatchOp[]): Json => {
  let out = clone(doc);
  const get = (path: string): Json => {
    let cur: Json | undefined = out;
    for (const t of pointer(path)) cur = Array.isArray(cur) ? cur[Number(t)] : isObject(cur) ? cur[t] : undefined;
    if (cur === undefined) throw new PatchError(`doc is missing path: ${path}`);
    return cur;
  };
  const remove = (path: string): void => {
    const tokens = pointer(path);
    if (tokens.length === 0) throw new PatchError('cannot remove the whole document');
    const { parent, key } = parentOf(out, tokens, path);
    if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, path, false), 1);
    else if (key in parent) delete parent[key];
    else throw new PatchError(`unable to remove nonexistent key: ${key}`);
  };
  const put = (path: string, value: Json, replace: boolean): void => {
    const tokens = pointer(path);
    if (tokens.length === 0) {
      out = clone(value);
      return;
    }
    const { parent, key } = parentOf(out, tokens, path);
    if (Array.isArray(parent)) {
      const i = arrayIndex(parent, key, path, !replace);
      if (replace) parent[i] = clone(value);
      else parent.splice(i, 0, clone(value));
    } else {
      if (replace && !(key in parent))
        throw new PatchError(`replace operation does not apply: doc is missing key: ${path}`);
      parent[key] = clone(value);
    }
  };
  for (const op of ops) {
    if (typeof op.path !== 'string') throw new PatchError('every operation needs a path', 400);
    switch (op.op) {
      case 'add':
      case 'replace':
        if (op.value === undefined) throw new PatchError(`${op.op} operation needs a value`, 400);
        put(op.path, op.value, op.op === 'replace');
        break;
      case 'remove':
        remove(op.path);
        break;
      case 'test':
        if (JSON.stringify(get(op.path)) !== JSON.stringify(op.value))
          throw new PatchError(`testing value ${op.path} failed`, 422);
        break;
      case 'copy':
      case 'move': {
        if (typeof op.from !== 'string') throw new PatchError(`${op.op} operation needs from`, 400);
        const v = get(op.from);
        if (op.op === 'move') remove(op.from);
        put(op.path, v, false);
        break;
      }
      default:
        throw new PatchError(`unexpected kind of operation: ${String(op.op)}`, 400);
    }
  }
  return out;
};

/** RFC 7386: objects merge key by key, `null` deletes, anything else replaces. */
export const applyMergePatch = (target: Json, patch: Json, strategic = false): Json => {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (strategic && Array.isArray(v) && Array.isArray(out[k]) && v.every((e) => isObject(e) && 'name' in e))
      out[k] = mergeByName(out[k] as Json[], v);
    else out[k] = applyMergePatch(out[k] ?? null, v, strategic);
  }
  return out;
};

/** Strategic merge of a named list (containers, env, volumes): same name merges, new names append. */
const mergeByName = (current: Json[], patch: Json[]): Json[] => {
  const out = clone(current);
  for (const p of patch as JsonObject[]) {
    const i = out.findIndex((e) => isObject(e) && e.name === p.name);
    if (i >= 0) out[i] = applyMergePatch(out[i]!, p, true);
    else out.push(clone(p));
  }
  return out;
};

export const patchTypes = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

/** Applies a PATCH body of `contentType` to `doc`; throws PatchError (415 for an unknown type). */
export const applyPatch = (doc: Json, contentType: string, body: Json): Json => {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === patchTypes.json) {
    if (!Array.isArray(body)) throw new PatchError('a JSON patch must be an array of operations', 400);
    return applyJsonPatch(doc, body as unknown as JsonPatchOp[]);
  }
  if (type === patchTypes.merge || type === patchTypes.strategic) {
    if (!isObject(body)) throw new PatchError('a merge patch must be a JSON object', 400);
    return applyMergePatch(doc, body, type === patchTypes.strategic);
  }
  throw new PatchError(`the server does not support the patch type ${JSON.stringify(type)}`, 415);
};
