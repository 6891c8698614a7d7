import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ConfigSchema, loadConfig } from '../../src/config.ts';
import { productionChecks } from '../../src/production-checks.ts';
import { dockerignore, drainBudgetMs, durationMs, parseDockerfile, readRepoFile, repoRoot } from '../helpers/deploy.ts';

/**
 * compose.yaml (the one-host install) against what it relies on: the Dockerfile it builds, the
 * config schema its variables feed, the app's shutdown budget. Docker itself cannot run here.
 */
interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  env_file?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  stop_grace_period?: string;
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
}
const compose = parse(readRepoFile('compose.yaml')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const { db, app } = compose.services as { db: Service; app: Service };
const { image } = parseDockerfile();

/** Compose's variable interpolation, the forms this file uses: ${VAR}, ${VAR:?error}, ${VAR:-default}. */
const interpolate = (s: string, vars: Record<string, string>): string =>
  s.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const v = vars[name];
    if (v) return v;
    if (op === '?') throw new Error(`required variable ${name} is missing a value: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
const appEnv = (vars: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(app.environment ?? {}).map(([k, v]) => [k, interpolate(v, vars)]));

const exampleVars = (): string[] =>
  [...readRepoFile('compose.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);

describe('compose.yaml', () => {
  it('runs PostgreSQL from the official image pinned to a minor version, its data in a named volume', () => {
    expect(db.image).toMatch(/^postgres:\d+\.\d+-bookworm$/);
    const [volume, mount] = db.volumes![0]!.split(':');
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(mount).toBe('/var/lib/postgresql/data');
  });

  it('starts the app once PostgreSQL answers: a pg_isready healthcheck for the user and database the app uses', () => {
    expect(app.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(db.healthcheck!.test).toEqual([
      'CMD',
      'pg_isready',
      `--username=${db.environment!.POSTGRES_USER}`,
      `--dbname=${db.environment!.POSTGRES_DB}`,
    ]);
    const url = new URL(appEnv({ POSTGRES_PASSWORD: 'pw' }).DATABASE_URL!);
    expect([url.hostname, url.port, url.username, url.password, url.pathname]).toEqual([
      'db',
      '5432',
      db.environment!.POSTGRES_USER,
      'pw',
      `/${db.environment!.POSTGRES_DB}`,
    ]);
  });

  it('builds the Dockerfile and keeps its healthcheck; the app is production on PostgreSQL', () => {
    expect(app.build).toBe('.');
    expect(fs.existsSync(path.join(repoRoot, 'Dockerfile'))).toBe(true);
    expect(app.healthcheck).toBeUndefined(); // inherits the image's HEALTHCHECK
    expect(image.healthcheck.command.length).toBeGreaterThan(0);
    const config = loadConfig({ ...image.env, ...appEnv({ POSTGRES_PASSWORD: 'pw' }) });
    expect(config.NODE_ENV).toBe('production');
    expect(productionChecks(config).refusals.map((f) => f.code)).not.toContain('embedded_database');
    // Publishes the image's port, on the host's loopback only.
    expect(app.ports).toEqual([`127.0.0.1:${image.env.PORT}:${image.expose[0]}`]);
  });

  it('takes secrets from compose.env, which git and the image build ignore, and stops without a password', () => {
    expect(app.env_file).toBe('compose.env');
    expect(readRepoFile('.gitignore').split('\n')).toContain('compose.env');
    expect(dockerignore().ignores('compose.env')).toBe(true);
    expect(() => appEnv({})).toThrow(/POSTGRES_PASSWORD .*compose\.env/);
    expect(() => interpolate(db.environment!.POSTGRES_PASSWORD!, {})).toThrow(/--env-file compose\.env/);
  });

  it('compose.env.example and the app’s environment name only variables the app or the AWS SDK reads', () => {
    const known = new Set([...Object.keys(ConfigSchema.shape), 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(exampleVars().filter((v) => !known.has(v) && v !== 'POSTGRES_PASSWORD')).toEqual([]);
    expect(Object.keys(app.environment ?? {}).filter((v) => !known.has(v))).toEqual([]);
    // The example's values are all empty: nothing that looks like a secret is committed.
    expect(readRepoFile('compose.env.example').match(/^[A-Z][A-Z0-9_]*=(?!$|us-east-1$).+$/gm)).toBeNull();
  });

  it('waits for the app to drain on stop, read-only and without capabilities', () => {
    expect(durationMs(app.stop_grace_period!)).toBeGreaterThanOrEqual(drainBudgetMs().totalMs);
    expect(app.read_only).toBe(true);
    expect(app.tmpfs).toEqual(['/tmp']);
    expect(app.cap_drop).toEqual(['ALL']);
  });
});
