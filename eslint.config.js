import fs from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layerOf, layers, matches, packages, surfaceRules } from './architecture.config.js';

// docs/architecture.md#layers and #sdk-boundaries, from the table in architecture.config.js: one
// no-restricted-imports rule per folder of src/ (and per file where a file is allowed more, like
// a repository's drizzle-orm). test/unit/architecture.test.ts checks the whole import graph too.

const escape = (s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
const ext = /\.(ts|mjs|js)$/;

/** The specifier a file in `dir` would use for `target` (a folder ending in `/`, or a file). */
const relative = (dir, target) => {
  const rel = path.posix.relative(dir, target.replace(/\/$/, '')) + (target.endsWith('/') ? '/' : '');
  return rel.startsWith('..') ? rel : `./${rel}`;
};

/** The import patterns a file may not use: layers above its own, and libraries not allowed there. */
const restrictions = (file) => {
  const dir = path.posix.dirname(file);
  const own = layerOf(file);
  const out = [];
  const forbid = (target, message, tail = '') =>
    out.push({
      regex: `^${escape(relative(dir, target))}${target.endsWith('/') ? '' : '$'}${tail}`,
      message: `${message} (docs/architecture.md#layers).`,
    });
  if (own >= 0) {
    for (const layer of layers.slice(own + 1))
      for (const p of layer.paths) forbid(p, `${layers[own].name} sits below ${layer.name}: it may not import ${p}`);
  }
  if (layers[own]?.name === 'surfaces') {
    const [, , name] = file.split('/');
    for (const port of surfaceRules.enginePorts)
      out.push({
        regex: `^${escape(relative(dir, 'src/engine/'))}(?!${escape(path.posix.basename(port))}$)`,
        message: `a surface reaches the engine only through its ports (${surfaceRules.enginePorts.join(', ')}) (docs/architecture.md#layers).`,
      });
    if (!matches(file, surfaceRules.ownStore))
      forbid(
        'src/store/',
        "a surface holds no database: use the ConversationStore port, or the surface's own store/ folder",
      );
    out.push({
      regex: `^${escape(relative(dir, 'src/surfaces/'))}(?!${escape(name)}/)[^./]`,
      message: 'a surface never imports another surface (docs/architecture.md#layers).',
    });
  }
  for (const rule of packages) {
    if (rule.allowed.some((p) => matches(file, p))) continue;
    const typesOnly = (rule.typesAllowed ?? []).some((p) => matches(file, p));
    const types = rule.typesAllowed ? ` (its types also in ${rule.typesAllowed.join(', ')})` : '';
    for (const name of rule.names) {
      const regex = name.endsWith('/') || name.endsWith('-') ? `^${escape(name)}` : `^${escape(name)}(/|$)`;
      out.push({
        regex,
        message: `${name} may be imported only in ${rule.allowed.join(', ')}${types} (docs/architecture.md#sdk-boundaries).`,
        ...(typesOnly ? { allowTypeImports: true } : {}),
      });
    }
  }
  return out;
};

/** One config per folder of src/, then one per file whose allowances differ from its folder's. */
const boundaryConfigs = () => {
  const configs = [];
  const walk = (dir) => {
    const entries = fs.readdirSync(path.join(import.meta.dirname, dir), { withFileTypes: true });
    const files = entries.filter((e) => e.isFile() && ext.test(e.name)).map((e) => `${dir}/${e.name}`);
    const base = restrictions(`${dir}/any-module.ts`);
    // typescript-eslint's version of the core rule, which can allow type-only imports.
    const rule = (patterns) => ({ rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } });
    // Root files belong to different layers, so each gets its own rule.
    if (dir !== 'src') configs.push({ files: [`${dir}/*.ts`, `${dir}/*.mjs`, `${dir}/*.js`], ...rule(base) });
    for (const f of files) {
      const own = restrictions(f);
      if (dir === 'src' || JSON.stringify(own) !== JSON.stringify(base)) configs.push({ files: [f], ...rule(own) });
    }
    for (const e of entries) if (e.isDirectory() && e.name !== 'migrations') walk(`${dir}/${e.name}`);
  };
  walk('src');
  return configs;
};

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'src/store/migrations/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        fetch: 'readonly',
        document: 'readonly',
        window: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...boundaryConfigs(),
);
