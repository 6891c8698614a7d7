import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';

export const defaultBodyLimitBytes = 1024 * 1024;

const tooLarge = (limit: number): HttpError =>
  // Closing keeps a client from streaming the rest of an oversized body into a kept-alive socket.
  new HttpError(413, `request body larger than ${limit} bytes`, { connection: 'close' });

/**
 * Reads the whole body up to `limit` bytes. Refuses early on a large Content-Length; with chunked
 * bodies it stops buffering at the limit (the rest is discarded, not kept in memory).
 */
export const readBody = (req: IncomingMessage, limit: number): Promise<Buffer> => {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer): void => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.once('error', (err) => {
      if (failed) return;
      failed = true;
      reject(new HttpError(400, `could not read the request body: ${err.message}`));
    });
    req.once('aborted', () => {
      if (failed) return;
      failed = true;
      reject(new HttpError(400, 'the request body was cut off'));
    });
  });
};

/** Parses a body as JSON; a parse failure is the client's (400) with the parser's reason. */
export const parseJson = (raw: Buffer): unknown => {
  if (raw.length === 0) throw new HttpError(400, 'invalid JSON: the request body is empty');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `invalid JSON: ${(err as Error).message}`);
  }
};
