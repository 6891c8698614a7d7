/** Polling while an instance action waits for a state (resize: stopped, then running). */
export interface WaitOptions {
  /** Polls before giving up (default 40). */
  attempts: number;
  /** Pause between polls (default 15 s, like the SDK's instance waiters). */
  delayMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const defaultWait: WaitOptions = {
  attempts: 40,
  delayMs: 15_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
