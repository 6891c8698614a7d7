import type { ServiceCall } from './wire.ts';

/** An awsJson1_1 operation: the decoded JSON input → the JSON output, or a thrown ServiceError. */
export type JsonHandler = (call: ServiceCall, input: Record<string, unknown>) => Record<string, unknown>;

/** A service speaking awsJson1_1: the `X-Amz-Target` prefix (`TrentService` in `TrentService.ListKeys`) and its operations. */
export interface JsonService {
  targetPrefix: string;
  handlers: Record<string, JsonHandler>;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
