/**
 * Runs the parts of one listing together and settles them all before answering. On the first
 * failure the others are told to stop (the signal each part is given aborts, and they check it
 * between pages), and that failure is thrown only once every part has finished: a part that
 * streams batches into the store never writes after its listing was reported failed, when
 * another listing of the same source may already be under way.
 */
export const settleAll = async <T extends readonly unknown[]>(
  start: (signal: AbortSignal) => { readonly [K in keyof T]: Promise<T[K]> },
  outer?: AbortSignal,
): Promise<T> => {
  const stop = new AbortController();
  const signal = outer ? AbortSignal.any([outer, stop.signal]) : stop.signal;
  let first: { error: unknown } | undefined;
  const parts = (start(signal) as readonly Promise<unknown>[]).map((p) =>
    p.catch((e: unknown) => {
      // The first part to fail is the cause; the others fail because they were stopped.
      if (!first) {
        first = { error: e };
        stop.abort(e);
      }
      throw e;
    }),
  );
  const settled = await Promise.allSettled(parts);
  if (first) throw first.error;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
};
