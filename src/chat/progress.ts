import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Progress of long work (a change running on a cloud) back to whoever is waiting for it, without
 * threading a callback through every layer: a surface runs a turn inside `withProgress(sink, …)`
 * and anything deeper in that turn (the change executor) calls `reportProgress(text)`. Outside
 * such a turn (a job, an approval click whose card copies are updated instead) it does nothing.
 */
export type ProgressSink = (text: string) => void;

const sinks = new AsyncLocalStorage<ProgressSink>();

export const withProgress = <T>(sink: ProgressSink, run: () => Promise<T>): Promise<T> => sinks.run(sink, run);

/** Tells the current turn's sink, if any. Never throws: progress is a courtesy, not the work. */
export const reportProgress = (text: string): void => {
  try {
    sinks.getStore()?.(text);
  } catch {
    // A failing sink must not fail the change it reports on.
  }
};
