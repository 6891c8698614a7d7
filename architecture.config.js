// The layering of src/ and the SDK boundaries, as data: eslint.config.js turns it into
// no-restricted-imports rules, and test/unit/architecture.test.ts checks the whole import graph
// against it (docs/architecture.md#layers). Paths are relative to the repository root: a path
// ending in `/` is a folder (with everything below it), `*` stands for one path segment.

/** Lowest first. Code may import its own layer's folder and lower layers, nothing above. */
export const layers = [
  { name: 'kernel', paths: ['src/errors.ts', 'src/util/', 'src/observability/'] },
  { name: 'store', paths: ['src/store/'] },
  { name: 'chat', paths: ['src/chat/'] },
  { name: 'tools', paths: ['src/tools/'] },
  { name: 'jobs', paths: ['src/jobs/'] },
  { name: 'cloud', paths: ['src/cloud/'] },
  { name: 'changes', paths: ['src/changes/'] },
  { name: 'users', paths: ['src/users/'] },
  { name: 'usage', paths: ['src/usage/'] },
  { name: 'scans', paths: ['src/scans/'] },
  { name: 'workflows', paths: ['src/workflows/'] },
  { name: 'incidents', paths: ['src/incidents/'] },
  { name: 'analytics', paths: ['src/analytics/'] },
  { name: 'engine', paths: ['src/engine/'] },
  { name: 'config', paths: ['src/config.ts', 'src/production-checks.ts'] },
  { name: 'http', paths: ['src/http/'] },
  { name: 'surfaces', paths: ['src/surfaces/'] },
  { name: 'root', paths: ['src/app.ts', 'src/main.ts'] },
];

/** Extra rules for surfaces: each is an adapter over the engine's ports, not a second core. */
export const surfaceRules = {
  /** The only engine module a surface may import: the ports. */
  enginePorts: ['src/engine/engine.ts'],
  /** A surface's own persistence, the one part of it that may import the store. */
  ownStore: 'src/surfaces/*/store/',
};

/**
 * Each library is imported only where it is allowed (a package name or a scope ending in `/`);
 * `typesAllowed` widens that for type-only imports (`import type`), which are erased at run time.
 */
export const packages = [
  { names: ['@slack/'], allowed: ['src/surfaces/slack/'] },
  { names: ['@microsoft/agents-', 'botbuilder'], allowed: ['src/surfaces/teams/'] },
  { names: ['@anthropic-ai/'], allowed: ['src/engine/planner/claude/'] },
  { names: ['@aws-sdk/', '@smithy/'], allowed: ['src/cloud/aws/'] },
  { names: ['@azure/'], allowed: ['src/cloud/azure/'] },
  { names: ['@google-cloud/', 'googleapis', 'google-auth-library'], allowed: ['src/cloud/gcp/'] },
  { names: ['@kubernetes/'], allowed: ['src/cloud/kubernetes/'] },
  { names: ['@pagerduty/'], allowed: ['src/incidents/pagerduty/'] },
  { names: ['nodemailer'], allowed: ['src/incidents/routing/'] },
  { names: ['pg', '@electric-sql/'], allowed: ['src/store/'] },
  { names: ['agenda', '@agendajs/'], allowed: ['src/jobs/'] },
  {
    names: ['drizzle-orm'],
    // Values come from drizzle's CommonJS build through src/store/orm.ts (see there why); its types
    // may be imported by the store and the data-access modules of the folders that own tables.
    allowed: ['src/store/orm.ts'],
    typesAllowed: [
      'src/store/',
      'src/*/schema.ts',
      'src/*/repository.ts',
      'src/changes/audit.ts',
      'src/changes/card-copies.ts',
      'src/engine/conversations.ts',
      'src/surfaces/*/store/',
    ],
  },
  { names: ['pino', 'prom-client'], allowed: ['src/observability/'] },
  // OpenID Connect (the dashboard's Slack and Microsoft sign-in); jose and oauth4webapi come with it.
  { names: ['openid-client', 'oauth4webapi', 'jose'], allowed: ['src/surfaces/dashboard/auth/'] },
  // The markdown lexer, behind markdownToBlocks: everything else sees only neutral blocks.
  { names: ['marked'], allowed: ['src/chat/markdown.ts'] },
];

const escape = (s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** Does a repository-relative path (`src/cloud/aws/provider.ts`) fall under a pattern of the table? */
export const matches = (file, pattern) => {
  const re = escape(pattern).replaceAll('*', '[^/]+');
  return new RegExp(pattern.endsWith('/') ? `^${re}` : `^${re}$`).test(file);
};

/** Index in `layers` of a source file, or -1 when no layer claims it. */
export const layerOf = (file) => layers.findIndex((l) => l.paths.some((p) => matches(file, p)));

/** Does an import specifier name this package or scope (`pg` but not `pglite`; `@slack/bolt`)? */
export const namesPackage = (specifier, name) =>
  name.endsWith('/') || name.endsWith('-')
    ? specifier.startsWith(name)
    : specifier === name || specifier.startsWith(`${name}/`);
