import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { AppError, UnavailableError, conflict, forbidden, notFound } from '../../src/errors.ts';
import { HttpError, errorResponse } from '../../src/http/errors.ts';

const body = (err: unknown) => {
  const { response, serverFault } = errorResponse(err);
  return { status: response.status, body: JSON.parse(String(response.body)), serverFault, headers: response.headers };
};

describe('errorResponse', () => {
  it('maps AppError codes to statuses with the user message', () => {
    expect(body(new AppError('bad_request', 'no such size'))).toMatchObject({
      status: 400,
      body: { error: 'no such size' },
      serverFault: false,
    });
    expect(body(forbidden('approvers only'))).toMatchObject({ status: 403, body: { error: 'approvers only' } });
    expect(body(notFound('no change 7'))).toMatchObject({ status: 404 });
    expect(body(conflict('already approved by bob'))).toMatchObject({
      status: 409,
      body: { error: 'already approved by bob' },
    });
    expect(body(new AppError('rate_limited', 'slow down'))).toMatchObject({ status: 429 });
    expect(body(new UnavailableError('the database', new Error('ECONNREFUSED 10.0.0.5')))).toMatchObject({
      status: 503,
      body: { error: 'the database is temporarily unavailable, please try again in a moment.' },
      serverFault: true,
    });
  });

  it('gives zod failures a 400 naming each field and reason', () => {
    const parsed = z
      .object({ user: z.string(), inputs: z.record(z.string(), z.string()) })
      .safeParse({ user: 3, inputs: { reason: 1 } });
    const out = body(parsed.error);
    expect(out.status).toBe(400);
    expect(out.body.error).toBe(
      'invalid request: user: Invalid input: expected string, received number; inputs.reason: Invalid input: expected string, received number',
    );
    expect(out.body.issues).toEqual([
      { path: 'user', message: 'Invalid input: expected string, received number' },
      { path: 'inputs.reason', message: 'Invalid input: expected string, received number' },
    ]);
  });

  it('keeps transport errors and their headers', () => {
    expect(body(new HttpError(413, 'too big', { connection: 'close' }))).toMatchObject({
      status: 413,
      body: { error: 'too big' },
      headers: { connection: 'close' },
    });
  });

  it('hides anything unexpected behind a 500', () => {
    const out = body(new TypeError('cannot read x of undefined at /srv/app.ts:12'));
    expect(out).toMatchObject({ status: 500, body: { error: 'internal error' }, serverFault: true });
  });

  it('hides an internal AppError (a bug) like anything unexpected', () => {
    expect(body(new AppError('internal', 'route GET /x returned no response'))).toMatchObject({
      status: 500,
      body: { error: 'internal error' },
      serverFault: true,
    });
  });

  it('answers an HttpError with its own status, whatever its code', () => {
    const err = new HttpError(405, 'method not allowed', { allow: 'GET' });
    expect(err).toBeInstanceOf(AppError);
    expect(body(err)).toMatchObject({
      status: 405,
      body: { error: 'method not allowed' },
      headers: { allow: 'GET' },
      serverFault: false,
    });
  });
});
