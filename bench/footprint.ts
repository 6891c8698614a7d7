import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startSlackFake } from '../test/fakes/slack-api.ts';
import { startTcpProxy } from '../test/helpers/tcp-proxy.ts';
import { freePort } from './cold-start.ts';
import { ms, runPool } from './stats.ts';

/**
 * Start time and memory of the app as `npm start` runs it (a spawned `node <start options> bin/devops-agent.mjs`): spawn →
 * first 200 from /readyz on an existing data dir, with nothing configured and with everything we
 * have configured; idle RSS of the app and of the embedded database process; RSS after many
 * console turns; and (DATABASE_URL set) the time from the database coming back after an outage
 * to /readyz green again.
 */

/** Resident set size of a process, from /proc (Linux). */
const rssOf = async (pid: number): Promise<number> => {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
};

/** Direct children of a process (the embedded database host is the app's only child). */
const childrenOf = async (pid: number): Promise<number[]> => {
  const tasks = await fs.readdir(`/proc/${pid}/task`);
  const all = await Promise.all(
    tasks.map((t) => fs.readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')),
  );
  return all.flatMap((s) => s.trim().split(/\s+/).filter(Boolean).map(Number));
};

/**
 * Proportional set size: RSS with shared pages split between the processes that map them (the
 * embedded database process runs the same node binary as the app, ~57 MB of shared clean pages).
 */
const pssOf = async (pid: number): Promise<number> => {
  const rollup = await fs.readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
  if (!kb) throw new Error(`no Pss for ${pid}`);
  return Number(kb) * 1024;
};

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

interface Running {
  child: ChildProcess;
  url: string;
  readyMs: number;
  stop(): Promise<void>;
}

const waitReady = async (child: ChildProcess, url: string, t0: number, limitMs = 60_000): Promise<number> => {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode} before it was ready`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 10));
    if (performance.now() - t0 > limitMs) throw new Error(`not ready within ${limitMs} ms`);
  }
};

/**
 * The node options of `npm start` (package.json `scripts.start`: `node <options> bin/devops-agent.mjs`,
 * the same words as the image's CMD), so the figures are those of the app as it is run.
 */
export const startOptions = async (): Promise<string[]> => {
  const pkg = JSON.parse(await fs.readFile('package.json', 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'bin/devops-agent.mjs') {
    throw new Error(`scripts.start is not "node [options] bin/devops-agent.mjs": ${pkg.scripts.start}`);
  }
  return words.slice(1, -1);
};

export const spawnApp = async (dataDir: string, env: Record<string, string>): Promise<Running> => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const options = await startOptions();
  const t0 = performance.now();
  const child = spawn(process.execPath, [...options, 'bin/devops-agent.mjs'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // The run's own compile cache: the first (unmeasured) start fills it, as a first start does.
      NODE_COMPILE_CACHE: `${dataDir}.compile-cache`,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const readyMs = await waitReady(child, url, t0);
  return {
    child,
    url,
    readyMs,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
};

/** RSS of the app and of its embedded database process once the app has been idle for a moment. */
const idleRss = async (app: Running): Promise<{ app: number; appPss: number; database: number | undefined }> => {
  await new Promise((r) => setTimeout(r, 2_000));
  const [db] = await childrenOf(app.child.pid!);
  return {
    app: await rssOf(app.child.pid!),
    appPss: await pssOf(app.child.pid!),
    database: db ? await rssOf(db) : undefined,
  };
};

const turn = async (url: string, text: string): Promise<void> => {
  const res = await fetch(`${url}/console/api/turn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'dave', text }),
  });
  if (!res.ok) throw new Error(`turn → ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
};

export const benchFootprint = async (opts: { turns: number; starts: number }): Promise<void> => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-'));
  const slack = await startSlackFake();
  const everything = {
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: 'bench-signing-secret-0123456789',
    SLACK_API_URL: slack.url,
  };
  try {
    // The first start creates the data dir (and the database) and fills the run's compile cache
    // (Node's, see bin/devops-agent.mjs); every figure below reuses both, as a restart does.
    await (await spawnApp(dir, { SANDBOX: 'on', ...everything })).stop();

    // Start time varies from run to run on a small shared machine: the median of several starts,
    // each configuration in turn, with the range.
    const bareMs: number[] = [];
    const fullMs: number[] = [];
    let bareRss: Awaited<ReturnType<typeof idleRss>> | undefined;
    let fullRss: Awaited<ReturnType<typeof idleRss>> | undefined;
    for (let i = 0; i < opts.starts; i++) {
      const bare = await spawnApp(dir, { SANDBOX: 'on' });
      bareMs.push(bare.readyMs);
      if (i === 0) bareRss = await idleRss(bare);
      await bare.stop();
      const full = await spawnApp(dir, { SANDBOX: 'on', ...everything });
      fullMs.push(full.readyMs);
      if (i === 0) fullRss = await idleRss(full);
      await full.stop();
    }
    const spread = (xs: number[]): string =>
      `median ${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))}, ${xs.length} starts)`;
    console.log('   spawn → /readyz, existing data dir:');
    console.log(`     nothing configured (console + sandbox cloud): ${spread(bareMs)}`);
    console.log(`     everything configured (+ Slack, against the Web API fake): ${spread(fullMs)}`);
    console.log('   idle RSS:');
    console.log(
      `     app, nothing configured: ${mb(bareRss!.app)} (PSS ${mb(bareRss!.appPss)}); embedded database process: ${bareRss!.database === undefined ? '— (DATABASE_URL)' : mb(bareRss!.database)}`,
    );
    console.log(`     app, everything configured: ${mb(fullRss!.app)} (PSS ${mb(fullRss!.appPss)})`);

    const busy = await spawnApp(dir, { SANDBOX: 'on' });
    try {
      const t0 = performance.now();
      await runPool(opts.turns, 4, () => turn(busy.url, 'list instances'));
      const seconds = (performance.now() - t0) / 1000;
      const after = await idleRss(busy);
      console.log(
        `   RSS after ${opts.turns.toLocaleString('en-US')} console turns (4 at a time, ${(opts.turns / seconds).toFixed(0)}/s): app ${mb(after.app)}${after.database === undefined ? '' : `, embedded database ${mb(after.database)}`}`,
      );
    } finally {
      await busy.stop();
    }

    if (process.env.DATABASE_URL) {
      // A restart as the app sees it: every connection dropped, new ones refused, then accepted again.
      const target = new URL(process.env.DATABASE_URL);
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      const app = await spawnApp(dir, { SANDBOX: 'on', DATABASE_URL: proxy.url(process.env.DATABASE_URL) });
      try {
        proxy.cut('reset');
        const down = performance.now();
        while (
          (await fetch(`${app.url}/readyz`).then(
            (r) => r.status,
            () => 0,
          )) === 200
        ) {
          await new Promise((r) => setTimeout(r, 10));
          if (performance.now() - down > 30_000) throw new Error('/readyz stayed green with the database down');
        }
        await new Promise((r) => setTimeout(r, 3_000));
        proxy.restore();
        const back = await waitReady(app.child, app.url, performance.now(), 120_000);
        console.log(
          `   database back after a 3 s outage → /readyz green: ${ms(back)} (app ${app.child.exitCode === null ? 'still running' : `exited ${app.child.exitCode}`})`,
        );
      } finally {
        await app.stop();
        await proxy.close();
      }
    }
  } finally {
    await slack.stop();
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(`${dir}.compile-cache`, { recursive: true, force: true });
  }
};
