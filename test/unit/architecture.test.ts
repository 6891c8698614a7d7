import { ESLint } from 'eslint';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { layerOf, layers, matches, namesPackage, packages, surfaceRules } from '../../architecture.config.js';

/**
 * docs/architecture.md#layers, checked on the real import graph of src/: every file belongs to a
 * layer, imports only its own layer and lower ones, surfaces keep to the engine's ports and their
 * own store, libraries stay in their folders, and no import closes a cycle. The eslint rule built
 * from the same table (eslint.config.js) is proved to fail on planted violations.
 */

const root = path.resolve(import.meta.dirname, '../..');
const sourceFile = /\.(ts|mjs)$/;

const walk = (dir: string): string[] =>
  fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'migrations' ? [] : walk(rel);
    return sourceFile.test(e.name) ? [rel] : [];
  });

/** Every module specifier of a file: static imports and re-exports (type-only too) and dynamic import(). */
const specifiers = (source: string): string[] => {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = [
    ...code.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm),
    ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ];
  return found.map((m) => m[1]!);
};

interface Edge {
  from: string;
  to: string;
}

/**
 * The modules a file loads when it is evaluated: static imports and re-exports, but not `import type`
 * / `export type` (erased) nor dynamic `import()` (loaded when that code runs).
 */
const staticSpecifiers = (source: string): string[] => {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map(
    (m) => m[1]!,
  );
};

/** SDKs that belong to one adapter: the composition root loads them only when it is configured. */
const adapterSdks = [
  '@slack/',
  '@microsoft/agents-',
  'botbuilder',
  '@anthropic-ai/',
  '@aws-sdk/',
  '@smithy/',
  '@azure/',
  '@google-cloud/',
  'googleapis',
  '@kubernetes/',
  '@pagerduty/',
];

/** Every package loaded, and by which file, when `entry` is evaluated (following static imports only). */
const staticallyLoaded = (entry: string): { file: string; name: string }[] => {
  const seen = new Set<string>();
  const out: { file: string; name: string }[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticSpecifiers(fs.readFileSync(path.join(root, file), 'utf8'))) {
      if (spec.startsWith('.')) visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
      else if (!spec.startsWith('node:')) out.push({ file, name: spec });
    }
  };
  visit(entry);
  return out;
};

const graph = (() => {
  const files = walk('src');
  const edges: Edge[] = [];
  const libraries: { file: string; name: string; typeOnly: boolean }[] = [];
  const unresolved: string[] = [];
  for (const file of files) {
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    const runtime = new Set([
      ...staticSpecifiers(source),
      ...[...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
    ]);
    for (const spec of specifiers(source)) {
      if (spec.startsWith('.')) {
        const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        if (!fs.existsSync(path.join(root, to))) unresolved.push(`${file} → ${spec}`);
        else edges.push({ from: file, to });
      } else if (!spec.startsWith('node:')) libraries.push({ file, name: spec, typeOnly: !runtime.has(spec) });
    }
  }
  return { files, edges, libraries, unresolved };
})();

/** Why an import goes against the layering, or null when it is allowed. */
const violation = ({ from, to }: Edge): string | null => {
  const a = layerOf(from);
  const b = layerOf(to);
  if (b > a) return `${layers[a]!.name} may not import ${layers[b]!.name}`;
  if (layers[a]!.name !== 'surfaces') return null;
  if (layers[b]!.name === 'engine' && !surfaceRules.enginePorts.includes(to))
    return `a surface reaches the engine only through ${surfaceRules.enginePorts.join(', ')}`;
  if (layers[b]!.name === 'store' && !matches(from, surfaceRules.ownStore))
    return 'a surface holds no database (ConversationStore port, or its own store/ folder)';
  if (layers[b]!.name === 'surfaces' && from.split('/')[2] !== to.split('/')[2])
    return 'a surface never imports another surface';
  return null;
};

/** Import cycles among files (type-only imports count: they tie the modules' designs together). */
const cycles = (edges: Edge[]): string[][] => {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of next.get(f) ?? []) {
      if (state.get(t) === 'open') found.push([...stack.slice(stack.indexOf(t)), t]);
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of next.keys()) if (!state.has(f)) visit(f);
  return found;
};

describe('the import graph of src/ (docs/architecture.md#layers)', () => {
  it('reads a real graph', () => {
    expect(graph.files.length).toBeGreaterThan(100);
    expect(graph.edges.length).toBeGreaterThan(300);
    expect(graph.unresolved).toEqual([]);
  });

  it('puts every source file in a layer', () => {
    expect(graph.files.filter((f) => layerOf(f) < 0)).toEqual([]);
  });

  it('has no import against the layering', () => {
    const bad = graph.edges.map((e) => ({ ...e, why: violation(e) })).filter((e) => e.why);
    expect(bad.map((e) => `${e.from} → ${e.to}: ${e.why}`)).toEqual([]);
  });

  it('keeps every library in the folders allowed to import it', () => {
    const allowed = (rule: (typeof packages)[number], file: string, typeOnly: boolean): boolean =>
      [...rule.allowed, ...(typeOnly ? (rule.typesAllowed ?? []) : [])].some((p) => matches(file, p));
    const bad = graph.libraries.filter(({ file, name, typeOnly }) =>
      packages.some((rule) => rule.names.some((n) => namesPackage(name, n)) && !allowed(rule, file, typeOnly)),
    );
    expect(graph.libraries.some((l) => l.name === 'drizzle-orm' && l.typeOnly)).toBe(true);
    expect(bad.map((b) => `${b.file} → ${b.name}`)).toEqual([]);
  });

  it('loads no adapter SDK at start: the composition root imports each adapter when it is configured', () => {
    // main.ts loads app.ts (the composition root) at start, after its own set-up.
    const loaded = [...staticallyLoaded('src/main.ts'), ...staticallyLoaded('src/app.ts')];
    expect(loaded.map((l) => l.name)).toEqual(expect.arrayContaining(['zod', 'agenda', 'pg']));
    expect(
      loaded
        .filter(({ name }) => adapterSdks.some((sdk) => namesPackage(name, sdk)))
        .map((l) => `${l.file} → ${l.name}`),
    ).toEqual([]);
    // The check itself: Slack's surface, loaded statically, would be caught.
    expect(staticallyLoaded('src/surfaces/slack/slack.ts').some(({ name }) => name.startsWith('@slack/'))).toBe(true);
    expect(
      staticSpecifiers(
        "import type { A } from './a.ts';\nimport { b } from './b.ts';\nconst c = await import('./c.ts');",
      ),
    ).toEqual(['./b.ts']);
  });

  it('starts the embedded database before loading any package, and loads a cloud SDK on first use', () => {
    // main.ts forks the database's process first, then loads the config and the app (BENCHMARKS.md, start time).
    expect(staticallyLoaded('src/main.ts').map((l) => `${l.file} → ${l.name}`)).toEqual([]);
    // The app builds its providers at start; their SDKs load while the database starts, off this graph.
    expect(
      staticallyLoaded('src/cloud/aws/provider.ts')
        .filter(({ name }) => name.startsWith('@aws-sdk/'))
        .map((l) => `${l.file} → ${l.name}`),
    ).toEqual([]);
    expect(staticallyLoaded('src/cloud/aws/ec2.ts').some(({ name }) => name === '@aws-sdk/client-ec2')).toBe(true);
  });

  it('has no import cycle', () => {
    expect(cycles(graph.edges).map((c) => c.join(' → '))).toEqual([]);
  });

  it('catches what it is meant to catch', () => {
    expect(violation({ from: 'src/store/open.ts', to: 'src/users/schema.ts' })).toMatch(/store may not import users/);
    expect(violation({ from: 'src/cloud/change-tools.ts', to: 'src/engine/registry.ts' })).toMatch(
      /cloud may not import engine/,
    );
    expect(violation({ from: 'src/surfaces/slack/events.ts', to: 'src/engine/conversations.ts' })).toMatch(
      /only through/,
    );
    expect(violation({ from: 'src/surfaces/slack/events.ts', to: 'src/store/db.ts' })).toMatch(/no database/);
    expect(violation({ from: 'src/surfaces/slack/store/forms.ts', to: 'src/store/db.ts' })).toBeNull();
    expect(violation({ from: 'src/surfaces/slack/deliver.ts', to: 'src/surfaces/console/surface.ts' })).toMatch(
      /another surface/,
    );
    expect(violation({ from: 'src/app.ts', to: 'src/surfaces/slack/slack.ts' })).toBeNull();
    expect(
      cycles([
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'c', to: 'a' },
      ]),
    ).toEqual([['a', 'b', 'c', 'a']]);
    expect(
      specifiers(
        "import type { A } from './a.ts';\nexport { b } from '../b.ts';\nconst m = await import('@slack/bolt');\n// import x from 'nope';",
      ),
    ).toEqual(['./a.ts', '../b.ts', '@slack/bolt']);
  });
});

describe('docs/architecture.md#layers', () => {
  const doc = fs.readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');

  it('lists the layers of architecture.config.js, in order', () => {
    const section = doc.slice(doc.indexOf('## Layers'), doc.indexOf('\n## ', doc.indexOf('## Layers') + 1));
    const rows = section.split('\n').filter((l) => /^\| \d+ \|/.test(l));
    expect(rows.map((r) => [...r.split('|')[2]!.matchAll(/`(src\/[^`]+)`/g)].map((m) => m[1]))).toEqual(
      layers.map((l) => l.paths),
    );
  });

  it('names every package of architecture.config.js and where it may be imported (#sdk-boundaries)', () => {
    const start = doc.indexOf('### SDK boundaries');
    const section = doc.slice(start, doc.indexOf('\n### ', start + 1));
    // A scope or prefix (`@slack/`, `@microsoft/agents-`) is written with a `*`: `@slack/*`.
    const written = (name: string): string => `\`${name}${name.endsWith('/') || name.endsWith('-') ? '*' : ''}\``;
    const missing = packages.flatMap((rule) =>
      [...rule.names.map(written), ...rule.allowed.map((p) => `\`${p}\``)].filter((w) => !section.includes(w)),
    );
    expect(missing).toEqual([]);
  });
});

/**
 * Lints `code` as if it were the file `filePath`, with the project's eslint config, through
 * eslint's own API: one instance loads the config once (a process per case took 4 s each).
 */
let eslint: ESLint | undefined;
const lint = async (filePath: string, code: string): Promise<{ failed: boolean; output: string }> => {
  eslint ??= new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  const output = result!.messages.map((m) => `${m.line}:${m.column} ${m.message} (${m.ruleId ?? 'fatal'})`).join('\n');
  return { failed: result!.errorCount > 0, output };
};

describe('the eslint boundary rule', () => {
  it.each([
    [
      'src/store/planted.ts',
      "import type { ConversationEngine } from '../engine/engine.ts';\nexport type X = ConversationEngine;\n",
      /store sits below engine/,
    ],
    [
      'src/cloud/planted.ts',
      "import type { ChangeRequest } from '../changes/model.ts';\nexport type X = ChangeRequest;\n",
      /cloud sits below changes/,
    ],
    [
      'src/surfaces/slack/planted.ts',
      "import type { Db } from '../../store/db.ts';\nexport type X = Db;\n",
      /a surface holds no database/,
    ],
    [
      'src/surfaces/slack/planted.ts',
      "import { listMessages } from '../../engine/conversations.ts';\nexport const x = listMessages;\n",
      /only through its ports/,
    ],
    [
      'src/surfaces/console/planted.ts',
      "import { slackEnabled } from '../slack/slack.ts';\nexport const x = slackEnabled;\n",
      /never imports another surface/,
    ],
    [
      'src/engine/planted.ts',
      "import { EC2Client } from '@aws-sdk/client-ec2';\nexport const x = EC2Client;\n",
      /@aws-sdk\/ may be imported only in src\/cloud\/aws\//,
    ],
    [
      'src/changes/planted.ts',
      "import { App } from '@slack/bolt';\nexport const x = App;\n",
      /@slack\/ may be imported only/,
    ],
    [
      'src/chat/planted.ts',
      "import { eq } from 'drizzle-orm';\nexport const x = eq;\n",
      /drizzle-orm may be imported only/,
    ],
    [
      'src/cloud/repository.ts',
      "import { eq } from 'drizzle-orm';\nexport const x = eq;\n",
      /drizzle-orm may be imported only in src\/store\/orm.ts/,
    ],
    ['src/jobs/planted.ts', "import pg from 'pg';\nexport const x = pg;\n", /pg may be imported only in src\/store\//],
    [
      'src/engine/planted.ts',
      "import { Agenda } from 'agenda';\nexport const x = Agenda;\n",
      /agenda may be imported only in src\/jobs\//,
    ],
    [
      'src/chat/planted.ts',
      "import { Lexer } from 'marked';\nexport const x = Lexer;\n",
      /marked may be imported only in src\/chat\/markdown.ts/,
    ],
  ])('fails on a planted violation in %s', async (file, code, message) => {
    const out = await lint(file, code);
    expect(out.failed).toBe(true);
    expect(out.output).toMatch(message);
  });

  it.each([
    [
      'src/surfaces/slack/planted.ts',
      "import type { ConversationStore } from '../../engine/engine.ts';\nexport type X = ConversationStore;\n",
    ],
    ['src/surfaces/slack/store/planted.ts', "import type { Db } from '../../../store/db.ts';\nexport type X = Db;\n"],
    ['src/cloud/repository.ts', "import type { SQL } from 'drizzle-orm';\nexport type X = SQL;\n"],
    [
      'src/store/orm.ts',
      "import { createRequire } from 'node:module';\nimport type * as Orm from 'drizzle-orm';\nexport const { eq } = createRequire(import.meta.url)('drizzle-orm') as typeof Orm;\n",
    ],
    ['src/cloud/aws/planted.ts', "import { EC2Client } from '@aws-sdk/client-ec2';\nexport const x = EC2Client;\n"],
    ['src/chat/markdown.ts', "import { Lexer } from 'marked';\nexport const x = Lexer;\n"],
  ])('passes an allowed import in %s', async (file, code) => {
    const out = await lint(file, code);
    expect(out.output).toBe('');
    expect(out.failed).toBe(false);
  });
});
