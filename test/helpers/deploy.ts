import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

/**
 * What the deployment tests (Dockerfile, compose.yaml, Kubernetes manifests) share: the repository
 * root, the Dockerfile read by a real Dockerfile parser (dockerfile-ast, the VS Code Docker
 * extension's), and the app's shutdown budget read from the sources it lives in.
 */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const readRepoFile = (file: string): string => fs.readFileSync(path.join(repoRoot, file), 'utf8');

type IgnoreFactory = (typeof import('@balena/dockerignore'))['default'];
/** A CommonJS module whose types declare an ES default export: required as what it is. */
const ignoreFactory = createRequire(import.meta.url)('@balena/dockerignore') as IgnoreFactory;

/** The repository's .dockerignore, matched as Docker matches it (@balena/dockerignore). */
export const dockerignore = (text = readRepoFile('.dockerignore')): ReturnType<IgnoreFactory> =>
  ignoreFactory().add(text);

export interface DockerStep {
  keyword: string;
  /** Arguments without flags, as written (continuations joined). */
  args: string[];
  /** `--from=deps` → { from: 'deps' }. */
  flags: Record<string, string | null>;
  /** The arguments as one string (continuations joined). */
  content: string;
  /** 1-based line, for messages. */
  line: number;
}

export interface DockerStage {
  /** `AS name`, or null. */
  name: string | null;
  /** `node:24.21.0-bookworm-slim`. */
  image: string;
  steps: DockerStep[];
}

/** The final stage's runtime settings, as the container would get them. */
export interface DockerImage {
  env: Record<string, string>;
  workdir: string;
  user: string;
  volumes: string[];
  expose: string[];
  healthcheck: { flags: Record<string, string | null>; command: string[] };
  entrypoint: string[];
  cmd: string[];
}

const execForm = (i: Instruction, what: string): string[] => {
  const raw = i.getArgumentsContent() ?? '';
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) return parsed as string[];
  } catch {
    // reported below
  }
  throw new Error(
    `Dockerfile line ${i.getRange().start.line + 1}: ${what} must be in exec form (a JSON array), got ${raw}`,
  );
};

const step = (i: Instruction): DockerStep => {
  const flags =
    'getFlags' in i && typeof i.getFlags === 'function'
      ? Object.fromEntries(
          (i.getFlags() as { getName(): string; getValue(): string | null }[]).map((f) => [f.getName(), f.getValue()]),
        )
      : {};
  return {
    keyword: i.getKeyword(),
    args: i.getArguments().map((a) => a.getValue()),
    flags,
    content: i.getArgumentsContent() ?? '',
    line: i.getRange().start.line + 1,
  };
};

export const parseDockerfile = (text = readRepoFile('Dockerfile')): { stages: DockerStage[]; image: DockerImage } => {
  const df = DockerfileParser.parse(text);
  const stages: DockerStage[] = [];
  const image: DockerImage = {
    env: {},
    workdir: '/',
    user: 'root',
    volumes: [],
    expose: [],
    healthcheck: { flags: {}, command: [] },
    entrypoint: [],
    cmd: [],
  };
  for (const i of df.getInstructions()) {
    const keyword = i.getKeyword();
    if (keyword === 'FROM') {
      const from = df.getFROMs().find((f) => f.getRange().start.line === i.getRange().start.line)!;
      stages.push({ name: from.getBuildStage(), image: from.getImage() ?? '', steps: [] });
      // Each stage starts from its base: only the last stage's settings make the image.
      Object.assign(image, { env: {}, workdir: '/', user: 'root', volumes: [], expose: [], entrypoint: [], cmd: [] });
      image.healthcheck = { flags: {}, command: [] };
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${i.getRange().start.line + 1}: ${keyword} before FROM`);
    stage.steps.push(step(i));
    if (keyword === 'ENV')
      for (const p of df
        .getENVs()
        .find((e) => e.getRange().start.line === i.getRange().start.line)!
        .getProperties())
        image.env[p.getName()] = p.getValue() ?? '';
    if (keyword === 'WORKDIR') image.workdir = path.posix.resolve(image.workdir, i.getArgumentsContent() ?? '');
    if (keyword === 'USER') image.user = i.getArgumentsContent() ?? '';
    if (keyword === 'VOLUME') image.volumes.push(...i.getArguments().map((a) => a.getValue()));
    if (keyword === 'EXPOSE') image.expose.push(...i.getArguments().map((a) => a.getValue()));
    if (keyword === 'ENTRYPOINT') image.entrypoint = execForm(i, 'ENTRYPOINT');
    if (keyword === 'CMD') image.cmd = execForm(i, 'CMD');
    if (keyword === 'HEALTHCHECK') {
      const s = step(i);
      const m = /^\s*CMD\s+(\[.*\])\s*$/s.exec(s.content.replace(/^(\s*--\S+)*/, ''));
      if (!m) throw new Error(`Dockerfile line ${s.line}: HEALTHCHECK must be CMD in exec form, got ${s.content}`);
      image.healthcheck = { flags: s.flags, command: JSON.parse(m[1]!) as string[] };
    }
  }
  return { stages, image };
};

/** A number in a source file, found by a pattern with one capture group (`10_000` → 10000). */
const sourceNumber = (file: string, pattern: RegExp): number => {
  const m = pattern.exec(readRepoFile(file));
  if (!m)
    throw new Error(
      `${file} no longer matches ${pattern}: update test/helpers/deploy.ts to read the app's drain budget`,
    );
  return Number(m[1]!.replaceAll('_', ''));
};

/**
 * The longest an idle-to-busy app takes to stop after SIGTERM: in-flight HTTP requests get the
 * server's close grace, then running jobs the scheduler's drain timeout (src/app.ts closes them in
 * that order), then the pools close. Deployment grace periods must cover it.
 */
export const drainBudgetMs = (): { httpCloseGraceMs: number; schedulerDrainMs: number; totalMs: number } => {
  const httpCloseGraceMs = sourceNumber('src/http/server.ts', /closeGraceMs \?\? ([\d_]+)/);
  const schedulerDrainMs = sourceNumber('src/jobs/scheduler.ts', /const defaultDrainTimeoutMs = ([\d_]+)/);
  return { httpCloseGraceMs, schedulerDrainMs, totalMs: httpCloseGraceMs + schedulerDrainMs };
};

/** Compose and Kubernetes durations: `60s`, `1m30s`, `500ms` → milliseconds. */
export const durationMs = (s: string): number => {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== s) throw new Error(`not a duration: ${s}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
};
