import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createWebAuth, type WebAuthOptions } from '../../src/surfaces/dashboard/auth/web-auth.ts';
import type { DashboardAuthStore } from '../../src/surfaces/dashboard/store/sessions.ts';

// Creation reads no store: these options are refused before anything else happens.
const base: WebAuthOptions = {
  store: {} as DashboardAuthStore,
  roleOf: () => Promise.resolve('viewer'),
  clock: () => new Date('2026-12-01T09:00:00Z'),
  logger: createLogger('silent'),
};
const microsoft = { clientId: 'app', clientSecret: 'secret', allowedTenants: ['t1'] };

const refusal = (o: Partial<WebAuthOptions>): string => {
  try {
    createWebAuth({ ...base, ...o });
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('config_invalid');
    return (err as AppError).message;
  }
  throw new AppError('internal', 'expected config_invalid');
};

describe('createWebAuth refuses options that would be unsafe or cannot work', () => {
  it('needs PUBLIC_URL for Slack or Microsoft', () => {
    expect(refusal({ slack: { clientId: 'c', clientSecret: 's', teamAllowed: () => true } })).toMatch(
      /PUBLIC_URL is required/,
    );
  });
  it('needs an allow-list of tenants for Microsoft', () => {
    expect(refusal({ publicUrl: 'https://a.example', microsoft: { ...microsoft, allowedTenants: [] } })).toMatch(
      /TEAMS_TENANT_ID or TEAMS_ALLOWED_TENANTS/,
    );
  });
  it('needs a tenant with an authority other than the global one', () => {
    expect(
      refusal({
        publicUrl: 'https://a.example',
        microsoft: { ...microsoft, authority: 'https://login.microsoftonline.us' },
      }),
    ).toMatch(/set TEAMS_TENANT_ID/);
    expect(() =>
      createWebAuth({
        ...base,
        publicUrl: 'https://a.example',
        microsoft: { ...microsoft, authority: 'https://login.microsoftonline.us', tenantId: 't1' },
      }),
    ).not.toThrow();
  });
  it('mounts the routes of the configured methods only', () => {
    const auth = createWebAuth({ ...base, console: { users: () => Promise.resolve([]) } });
    expect(auth.routes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /auth/sign-in',
      'POST /auth/sign-out',
      'POST /auth/console',
    ]);
    expect(auth.signInPath('/dashboard/costs?month=2026-11')).toBe(
      '/auth/sign-in?next=%2Fdashboard%2Fcosts%3Fmonth%3D2026-11',
    );
    expect(auth.signInPath('https://evil.example')).toBe('/auth/sign-in?next=%2Fdashboard');
  });
});
