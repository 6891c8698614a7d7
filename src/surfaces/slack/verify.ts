import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack request signing (v0): `x-slack-signature: v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body))`
 * with `x-slack-request-timestamp: ts`. Pure: the clock is an argument, so the 5-minute window is
 * testable without waiting; each rejection names its own reason (logged, and returned in the 401).
 */
export const SIGNATURE_WINDOW_SECONDS = 300;

export type VerifyFailure =
  | 'missing x-slack-request-timestamp header'
  | 'missing x-slack-signature header'
  | 'x-slack-request-timestamp is not a unix time in seconds'
  | 'request timestamp is more than 5 minutes from our clock'
  | 'x-slack-signature is not a v0 signature'
  | 'signature mismatch';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

export interface SignedInput {
  signingSecret: string;
  /** Header values as received (a repeated header counts as missing). */
  timestamp: string | string[] | undefined;
  signature: string | string[] | undefined;
  rawBody: Buffer | string;
  now: Date;
}

const single = (h: string | string[] | undefined): string | undefined =>
  typeof h === 'string' && h.length > 0 ? h : undefined;

export const verifySlackSignature = (input: SignedInput): VerifyResult => {
  const timestamp = single(input.timestamp);
  const signature = single(input.signature);
  if (timestamp === undefined) return { ok: false, reason: 'missing x-slack-request-timestamp header' };
  if (signature === undefined) return { ok: false, reason: 'missing x-slack-signature header' };
  if (!/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'x-slack-request-timestamp is not a unix time in seconds' };
  // Both directions: a timestamp from the future is as replayable as an old one.
  if (Math.abs(Math.floor(input.now.getTime() / 1000) - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) {
    return { ok: false, reason: 'request timestamp is more than 5 minutes from our clock' };
  }
  const given = /^v0=([0-9a-f]{64})$/.exec(signature)?.[1];
  if (given === undefined) return { ok: false, reason: 'x-slack-signature is not a v0 signature' };
  const expected = createHmac('sha256', input.signingSecret).update(`v0:${timestamp}:`).update(input.rawBody).digest();
  // Equal lengths by construction (32 bytes each), so the comparison time leaks nothing.
  if (!timingSafeEqual(Buffer.from(given, 'hex'), expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
};
