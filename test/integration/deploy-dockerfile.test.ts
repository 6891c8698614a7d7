import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { parse } from 'yaml';
import {
  dockerignore,
  drainBudgetMs,
  durationMs,
  parseDockerfile,
  readRepoFile,
  repoRoot,
  type DockerStep,
} from '../helpers/deploy.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * No container registry is reachable here, so the image cannot be built. Instead this test reads
 * the Dockerfile with a real parser and carries out its steps on a copy of the repository: each
 * stage gets a directory standing for its filesystem; COPY copies what .dockerignore lets into
 * the build context; `RUN npm ci` runs (offline, from the npm cache the repository's own `npm ci`
 * filled); the entry (ENTRYPOINT + CMD) and the HEALTHCHECK run with the image's ENV as a non-root
 * user of this machine (`nobody`, standing for the image's `node`), on the Node 24 the base image
 * provides (the `node` dev dependency's binary: the copy itself has no dev dependencies).
 * The parts that only a real build does (the base image, apt-get) are checked for what they give:
 * tini on the PATH, a data directory the user owns.
 */
const { stages, image } = parseDockerfile();
const pkg = JSON.parse(readRepoFile('package.json')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const node24 = path.join(repoRoot, 'node_modules/node/bin/node');
const deployment = parse(readRepoFile('manifests/kubernetes/deployment.yaml')) as {
  spec: { template: { spec: { initContainers: { command: string[] }[] } } };
};

/** The machine's stand-in for the image's non-root user (CI runs as root; a developer may already be non-root). */
const runAs =
  process.getuid?.() === 0
    ? {
        uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })),
        gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })),
      }
    : undefined;
const userId = runAs?.uid ?? process.getuid?.() ?? -1;
const asUser = (argv: string[]): string[] =>
  runAs ? ['setpriv', `--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--', ...argv] : argv;

let root: string;
/** The final stage's WORKDIR on disk: the app as the image holds it. */
let appDir: string;
/** `node` → the Node 24 binary, first on the PATH: what the base image's /usr/local/bin gives. */
let baseBin: string;
/** Root-owned and not writable by the user: HOME, like the read-only root filesystem of Kubernetes. */
let readOnlyHome: string;
let installSeconds = 0;
const children: ChildProcess[] = [];
const volumeSteps: string[] = [];

const userDir = (name: string): string => {
  const dir = fs.mkdtempSync(path.join(root, `${name}-`));
  if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
  return dir;
};

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** The container's environment: the image's ENV, then what `docker run -e` would add. */
const containerEnv = (overrides: Record<string, string>): Record<string, string> => ({
  ...image.env,
  PATH: `${baseBin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
  HOME: readOnlyHome,
  TMPDIR: userDir('tmp'),
  // tini is not PID 1 here: as a subreaper it reaps orphans as it would as PID 1 (and says nothing).
  TINI_SUBREAPER: '1',
  ...overrides,
});

/** Copies `from` (a file or a directory's contents) to `to`, skipping what `skip` says. */
const copyInto = (from: string, to: string, skip: (abs: string) => boolean = () => false): number => {
  if (skip(from)) return 0;
  const stat = fs.lstatSync(from);
  if (stat.isSymbolicLink()) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.symlinkSync(fs.readlinkSync(from), to);
    return 1;
  }
  if (stat.isFile()) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    fs.chmodSync(to, stat.mode & 0o777);
    return 1;
  }
  fs.mkdirSync(to, { recursive: true });
  return fs.readdirSync(from).reduce((n, e) => n + copyInto(path.join(from, e), path.join(to, e), skip), 0);
};

const build = (): void => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'devops-agent-image-'));
  fs.chmodSync(root, 0o755);
  baseBin = path.join(root, 'base-bin');
  fs.mkdirSync(baseBin);
  fs.symlinkSync(node24, path.join(baseBin, 'node'));
  readOnlyHome = path.join(root, 'home');
  fs.mkdirSync(readOnlyHome, { mode: 0o755 });

  const context = dockerignore();
  const ignored = (abs: string): boolean => {
    const rel = path.relative(repoRoot, abs);
    return rel !== '' && context.ignores(rel);
  };
  const stageRoots = new Map<string, string>();
  stages.forEach((stage, index) => {
    const stageRoot = path.join(root, `stage-${index}`);
    fs.mkdirSync(stageRoot);
    if (stage.name) stageRoots.set(stage.name, stageRoot);
    let workdir = '/';
    const onDisk = (p: string, base = stageRoot): string => path.join(base, path.posix.resolve(workdir, p));
    const unknown = (s: DockerStep) =>
      new Error(`Dockerfile line ${s.line}: this test does not know how to carry out ${s.keyword} ${s.content}`);
    for (const s of stage.steps) {
      switch (s.keyword) {
        case 'WORKDIR':
          workdir = path.posix.resolve(workdir, s.content);
          fs.mkdirSync(onDisk('.'), { recursive: true });
          break;
        case 'COPY': {
          const sources = s.args.slice(0, -1);
          const dest = s.args.at(-1)!;
          const intoDir = dest.endsWith('/') || sources.length > 1;
          for (const src of sources) {
            const fromStage = s.flags.from ? stageRoots.get(s.flags.from) : undefined;
            if (s.flags.from && !fromStage) throw new Error(`Dockerfile line ${s.line}: no stage ${s.flags.from}`);
            const from = fromStage ? path.join(fromStage, path.posix.resolve('/', src)) : path.join(repoRoot, src);
            const isDir = fs.statSync(from).isDirectory();
            const to = intoDir && !isDir ? path.join(onDisk(dest), path.basename(src)) : onDisk(dest);
            const copied = copyInto(from, to, fromStage ? undefined : ignored);
            // Docker fails on a source the context does not hold.
            if (copied === 0) throw new Error(`Dockerfile line ${s.line}: COPY ${src}: excluded by .dockerignore`);
          }
          break;
        }
        case 'RUN':
          if (/^npm ci\b/.test(s.content)) {
            const started = Date.now();
            // From the npm cache only: CI has no business on the registry, and `npm ci` filled it.
            const r = spawnSync('sh', ['-c', `${s.content} --offline`], {
              cwd: onDisk('.'),
              env: { PATH: `${baseBin}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/root' },
              encoding: 'utf8',
            });
            if (r.status !== 0) throw new Error(`Dockerfile line ${s.line}: ${s.content} failed:\n${r.stderr}`);
            installSeconds = (Date.now() - started) / 1000;
          } else if (/apt-get install .*\btini\b/.test(s.content)) {
            // The image installs Debian's tini; this machine must have it too (.ci/run installs it).
            const which = spawnSync('sh', ['-c', 'command -v tini'], { encoding: 'utf8' });
            if (which.status !== 0)
              throw new Error('tini is not installed here: apt-get install tini (as .ci/run does)');
          } else if (/^mkdir -p (\S+) && chown node:node \1$/.test(s.content)) {
            volumeSteps.push(s.content.split(' ')[2]!);
          } else throw unknown(s);
          break;
        case 'ENV':
        case 'USER':
        case 'VOLUME':
        case 'EXPOSE':
        case 'HEALTHCHECK':
        case 'ENTRYPOINT':
        case 'CMD':
          break; // the image's settings: parseDockerfile gathers them
        default:
          throw unknown(s);
      }
    }
    appDir = onDisk(image.workdir);
  });
};

beforeAll(build, 600_000);

afterAll(() => {
  // A failed test may leave a process tree behind: each runs in its own process group.
  for (const c of children) killGroup(c);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts argv in the app directory as the non-root user, like the container runtime would. */
const start = (argv: string[], env: Record<string, string>): Running => {
  const [cmd, ...args] = asUser(argv);
  const child = spawn(cmd!, args, { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
};

const runToEnd = async (argv: string[], env: Record<string, string>, timeoutMs: number) => {
  const r = start(argv, env);
  const timer = setTimeout(() => killGroup(r.child), timeoutMs);
  const { code } = await r.exited;
  clearTimeout(timer);
  return { code, stdout: r.stdout(), stderr: r.stderr() };
};

const killGroup = (c: ChildProcess): void => {
  try {
    if (c.pid) process.kill(-c.pid, 'SIGKILL');
  } catch {
    // the group is gone already
  }
};

const childrenOf = (pid: number): number[] =>
  fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
const cmdline = (pid: number): string[] => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
const uidOf = (pid: number): number =>
  Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const alive = (pid: number): boolean => fs.existsSync(`/proc/${pid}`);

describe('the container image (Dockerfile), built step by step without a registry', () => {
  it('builds FROM the official Node image pinned to the Node version the tests run on', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2); // multi-stage: npm's cache and build tools stay behind
    for (const s of stages) expect(s.image).toBe(`node:${pkg.devDependencies.node}-bookworm-slim`);
    expect(pkg.devDependencies.node).toMatch(/^24\.\d+\.\d+$/);
  });

  it('keeps everything but the app out of the build context, and the copy holds only the app', () => {
    const context = dockerignore();
    for (const p of ['.env', 'compose.env', '.git/HEAD', 'node_modules/pg/package.json', '.data/pglite/PG_VERSION'])
      expect([p, context.ignores(p)]).toEqual([p, true]);
    for (const p of [
      'test/unit/config.test.ts',
      'docs/architecture.md',
      'src/.env',
      'manifests/kubernetes/deployment.yaml',
    ])
      expect([p, context.ignores(p)]).toEqual([p, true]);
    expect(fs.readdirSync(appDir).sort()).toEqual([
      'bin',
      'node_modules',
      'package-lock.json',
      'package.json',
      'scripts',
      'src',
    ]);
  });

  it('installs the production dependencies only: no `node` package, so the base image’s Node 24 runs the app', () => {
    // The lock file says which packages only development needs (some dev dependencies, like
    // @types/node, are also needed by production packages: those stay).
    const lock = JSON.parse(readRepoFile('package-lock.json')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
    };
    const wrong = Object.entries(lock.packages)
      .filter(([p]) => p.startsWith('node_modules/'))
      .filter(([p, v]) => {
        const present = fs.existsSync(path.join(appDir, p));
        return v.dev ? present : !v.optional && !v.devOptional && !present;
      })
      .map(([p, v]) => `${p} (${v.dev ? 'dev, installed' : 'production, missing'})`);
    expect(wrong).toEqual([]);
    for (const dep of Object.keys(pkg.dependencies))
      expect([dep, fs.existsSync(path.join(appDir, 'node_modules', dep))]).toEqual([dep, true]);
    for (const dep of ['node', 'jest', 'typescript', '@swc/core'])
      expect([dep, fs.existsSync(path.join(appDir, 'node_modules', dep))]).toEqual([dep, false]);
    expect(fs.existsSync(path.join(appDir, 'node_modules/.bin/node'))).toBe(false);
    expect(installSeconds).toBeGreaterThan(0);
  });

  it('declares a non-root user, the data volume, the port, tini as PID 1 and the checked entry', () => {
    expect(image.user).toMatch(/^1000(:1000)?$/); // the base image's `node` user
    expect(image.env.DATA_DIR).toBe('/data');
    expect(image.volumes).toEqual([image.env.DATA_DIR]);
    expect(volumeSteps).toEqual([image.env.DATA_DIR]);
    expect(image.expose).toEqual([image.env.PORT]);
    expect(image.env.NODE_ENV).toBe('production');
    expect(image.entrypoint).toEqual(['tini', '--']);
    expect(image.cmd).toEqual(['node', '--max-semi-space-size=4', '--max-old-space-size=1024', 'bin/devops-agent.mjs']);
    // `npm start` runs the same entry.
    expect(pkg.scripts.start).toBe(image.cmd.join(' '));
  });

  it('runs as the non-root user: ready on /readyz, healthy by its HEALTHCHECK, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const dataDir = userDir('data');
    // The image's defaults are production: this run is the embedded database on the sandbox cloud.
    const env = containerEnv({
      PORT: String(port),
      DATA_DIR: dataDir,
      ALLOW_UNSAFE_PRODUCTION: 'true',
    });
    const app = start([...image.entrypoint, ...image.cmd], env);
    const tini = app.child.pid!;

    await waitFor(
      async () => {
        if (app.child.exitCode !== null) throw new Error(`the app exited (${app.child.exitCode}):\n${app.stderr()}`);
        return fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        );
      },
      { what: 'the app to answer /readyz', timeoutMs: 120_000, detail: () => app.stdout().slice(-2000) + app.stderr() },
    );

    // tini's one child is node running the entry, as the non-root user.
    const [nodePid, ...others] = childrenOf(tini);
    expect(others).toEqual([]);
    expect(cmdline(nodePid!)).toEqual(image.cmd);
    expect(fs.realpathSync(`/proc/${nodePid}/exe`)).toBe(fs.realpathSync(node24));
    expect(uidOf(nodePid!)).toBe(userId);
    // node's own child: embedded PostgreSQL, writing into the data volume as the same user.
    const pgHosts = childrenOf(nodePid!);
    expect(pgHosts).toHaveLength(1);
    const written = fs.readdirSync(dataDir);
    expect(written.length).toBeGreaterThan(0);
    for (const f of written) expect([f, fs.statSync(path.join(dataDir, f)).uid]).toEqual([f, userId]);

    const health = durationMs(image.healthcheck.flags.timeout ?? '30s');
    expect(await runToEnd(image.healthcheck.command, env, health)).toMatchObject({ code: 0 });

    // The production warnings of the image's defaults were logged.
    const checks = app
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"productionCheck"'))
      .map((l) => (JSON.parse(l) as { productionCheck: string }).productionCheck);
    expect(checks).toEqual(['embedded_database', 'sandbox_cloud', 'no_chat_surface', 'console_off']);

    const sigterm = Date.now();
    app.child.kill('SIGTERM'); // what `docker stop` sends to PID 1
    const { httpCloseGraceMs } = drainBudgetMs();
    // Idle, nothing is in flight: the app stops well within the HTTP drain grace.
    await waitFor(() => app.child.exitCode !== null || app.child.signalCode !== null, {
      what: 'the app to exit after SIGTERM',
      timeoutMs: httpCloseGraceMs,
      detail: () => app.stdout().slice(-2000),
    });
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - sigterm).toBeLessThan(httpCloseGraceMs);
    expect(app.stdout()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
    expect([nodePid!, ...pgHosts].filter(alive)).toEqual([]);

    // Nothing answers now: the same HEALTHCHECK fails.
    const down = await runToEnd(image.healthcheck.command, env, health);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^healthcheck: GET \/healthz on port \d+ failed: ECONNREFUSED/);
  }, 240_000);

  it('refuses, with its production defaults, to start on the embedded database and the sandbox cloud', async () => {
    const env = containerEnv({ DATA_DIR: userDir('data'), PORT: String(await freePort()) });
    const { code, stderr } = await runToEnd([...image.entrypoint, ...image.cmd], env, 60_000);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^devops-agent: production: the database is embedded PostgreSQL in DATA_DIR/),
      expect.stringMatching(/^devops-agent: production: the cloud is the local sandbox emulator/),
    ]);
  }, 90_000);

  it('runs the Kubernetes migration step (initContainer) without dev dependencies, as the non-root user', async () => {
    const command = deployment.spec.template.spec.initContainers[0]!.command;
    const dataDir = userDir('data');
    const embedded = await runToEnd(command, containerEnv({ DATA_DIR: dataDir }), 90_000);
    expect(embedded).toMatchObject({ code: 0, stdout: `database migrated: embedded PostgreSQL in ${dataDir}\n` });

    const server = process.env.DATABASE_URL;
    if (!server) return; // the PostgreSQL run of the suite (DATABASE_URL set) also migrates a real server
    const name = `da_t_image_${process.pid}`;
    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(sql).finally(() => c.end());
    };
    await admin(`CREATE DATABASE "${name}"`);
    try {
      const url = new URL(server);
      url.pathname = `/${name}`;
      const real = await runToEnd(command, containerEnv({ DATABASE_URL: url.toString() }), 90_000);
      expect(real).toMatchObject({ code: 0, stdout: `database migrated: ${url.host}/${name}\n` });
    } finally {
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  }, 240_000);
});
