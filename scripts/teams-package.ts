// `npm run teams:package [-- --app-id <guid>] [--domain <host>] [--out-dir <dir>] [--app-version <x.y.z>]
//   [--website-url <url>] [--privacy-url <url>] [--terms-url <url>]`
// builds the Teams app package an admin uploads: dist/teams/devops-agent-teams.zip with
// manifest.json, color.png and outline.png at the zip's root (Teams refuses a package whose files
// sit in a folder). The manifest is manifests/teams/manifest.json with its placeholders filled:
// ${TEAMS_APP_ID} (the Azure Bot's Microsoft App ID, also the app's id) from --app-id or
// TEAMS_APP_ID, ${TEAMS_BOT_DOMAIN} (the public host name of /api/messages) from --domain or
// TEAMS_BOT_DOMAIN, ${APP_VERSION} from --app-version or package.json. The bot's command menu is
// generated here from the grammar's help (src/engine/planner/help.ts), so it never drifts from
// what the bot understands; `-- --update-template` writes it back into manifests/teams/manifest.json.
//
// The filled manifest is checked before zipping. No copy of the Teams manifest JSON schema ships in
// an installed npm package, so the fields this package uses are checked against a zod schema that
// encodes the documented limits of the v1.30 schema (and the command menu's stricter ones).
// Exit 0 with the zip's path on stdout; 1 with one clear line on stderr for any bad input.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ZipFile } from 'yazl';
import { z } from 'zod';
import { HELP, HELP_SUMMARY, type HelpEntry } from '../src/engine/planner/help.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const templateDir = path.join(root, 'manifests', 'teams');
export const PACKAGE_NAME = 'devops-agent-teams.zip';
export const ICONS = { color: 'color.png', outline: 'outline.png' } as const;

// --- The command menu -------------------------------------------------------------------------

/** Teams' command menu: at most 10 commands per list, titles ≤ 32 and descriptions ≤ 128 characters. */
export const MENU_LIMITS = { commands: 10, title: 32, description: 128 } as const;

export interface MenuCommand {
  title: string;
  description: string;
}

/**
 * Commands the Teams surface answers itself, outside the grammar. Teams has no App Home, so `home`
 * shows what Slack's Home tab shows (`engine.home(actor)`) in the conversation.
 */
export const SURFACE_COMMANDS: readonly MenuCommand[] = [
  {
    title: 'home',
    description: 'home — Your role, the approvals waiting for you, your recent requests and the inventory at a glance.',
  },
];

const firstSentence = (text: string): string => {
  const end = text.search(/\.(\s|$)/);
  return end < 0 ? text : text.slice(0, end + 1);
};

/** Cut at a word boundary so the text plus an ellipsis fits in `max` characters. */
const fit = (text: string, max: number): string => {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:—-]+$/, '')}…`;
};

/** One grammar command as a menu entry: the word (what Teams inserts), its usage and first sentence. */
export const menuEntry = (e: HelpEntry): MenuCommand => ({
  title: e.command,
  description: fit(`${e.usage} — ${firstSentence(e.description)}`.replaceAll('`', ''), MENU_LIMITS.description),
});

/**
 * The menu, chosen deterministically because the grammar has more commands than Teams shows:
 * 1. the surface's own commands (`home`);
 * 2. every command HELP_SUMMARY names: the grammar's own pick of the commonest ones, the line it
 *    answers input nothing resembles with;
 * 3. the remaining commands in HELP order (read-only first) until the list holds MENU_LIMITS.commands.
 * Listed with help first, then the surface's commands, then the rest in HELP order. `help` in the
 * chat lists every command, including those the menu leaves out.
 */
export const commandMenu = (
  help: readonly HelpEntry[] = HELP,
  summary: string = HELP_SUMMARY,
  surface: readonly MenuCommand[] = SURFACE_COMMANDS,
): MenuCommand[] => {
  const named = [...summary.matchAll(/`(\w+)/g)].map((m) => m[1]);
  const grammarSlots = MENU_LIMITS.commands - surface.length;
  const picked = new Set(help.filter((e) => named.includes(e.command)).map((e) => e.command));
  for (const e of help) if (picked.size < grammarSlots) picked.add(e.command);
  const chosen = help.filter((e) => picked.has(e.command)).slice(0, grammarSlots);
  const [first, ...rest] = chosen.map(menuEntry);
  const surfaceOnly = surface.filter((s) => !chosen.some((e) => e.command === s.title));
  return [...(first ? [first] : []), ...surfaceOnly, ...rest];
};

/** One list for every scope the bot is in: the same commands work in a personal chat, a group chat and a channel. */
export const commandLists = (): { scopes: string[]; commands: MenuCommand[] }[] => [
  { scopes: ['personal', 'team', 'groupChat'], commands: commandMenu() },
];

// --- The manifest's shape, as far as this package uses it ---------------------------------------

const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const Guid = z.string().regex(GUID, 'must be a GUID like 00000000-0000-0000-0000-000000000000');
const HttpsUrl = z
  .string()
  .max(2048)
  .regex(/^https:\/\/[^\s/]+/, 'must be an https:// URL');
const Scope = z.enum(['personal', 'team', 'groupChat']);
/** A host name as validDomains wants it: no scheme, path or port. */
const HOST =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** The v1.30 schema's limits for the fields we use; unknown keys are refused, like its additionalProperties: false. */
export const TeamsManifest = z.strictObject({
  $schema: z.literal('https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json'),
  manifestVersion: z.literal('1.30'),
  version: z.string().regex(/^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/, 'must be x.y.z'),
  id: Guid,
  developer: z.strictObject({
    name: z.string().min(1).max(32),
    websiteUrl: HttpsUrl,
    privacyUrl: HttpsUrl,
    termsOfUseUrl: HttpsUrl,
  }),
  name: z.strictObject({ short: z.string().min(1).max(30), full: z.string().max(100).optional() }),
  description: z.strictObject({ short: z.string().min(1).max(80), full: z.string().min(1).max(4000) }),
  icons: z.strictObject({ color: z.literal(ICONS.color), outline: z.literal(ICONS.outline) }),
  accentColor: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  bots: z
    .array(
      z.strictObject({
        botId: Guid,
        scopes: z.array(Scope).min(1).max(3),
        supportsFiles: z.boolean(),
        isNotificationOnly: z.boolean(),
        commandLists: z
          .array(
            z.strictObject({
              scopes: z.array(Scope).min(1).max(3),
              commands: z
                .array(
                  z.strictObject({
                    title: z.string().min(1).max(MENU_LIMITS.title),
                    description: z.string().min(1).max(MENU_LIMITS.description),
                  }),
                )
                .min(1)
                .max(MENU_LIMITS.commands),
            }),
          )
          .max(3),
      }),
    )
    .length(1),
  validDomains: z.array(z.string().max(2048).regex(HOST, 'must be a host name without scheme, path or port')).max(100),
});
export type TeamsManifest = z.infer<typeof TeamsManifest>;

// --- Filling and packaging ---------------------------------------------------------------------

export interface PackageOptions {
  appId: string;
  domain: string;
  appVersion: string;
  websiteUrl?: string;
  privacyUrl?: string;
  termsUrl?: string;
}

class InputError extends Error {}

/** The template with every placeholder filled and the command menu generated; throws InputError on bad input. */
export const fillManifest = (template: string, o: PackageOptions): TeamsManifest => {
  if (!GUID.test(o.appId))
    throw new InputError(
      `the app id "${o.appId}" is not a GUID: give the Azure Bot's Microsoft App ID (--app-id or TEAMS_APP_ID), e.g. 00000000-0000-0000-0000-000000000000`,
    );
  if (!HOST.test(o.domain))
    throw new InputError(
      `the bot domain "${o.domain}" is not a host name: give only the host that serves /api/messages (--domain or TEAMS_BOT_DOMAIN), e.g. bot.example.com, without https:// or a path`,
    );
  const site = `https://${o.domain}/`;
  const values: Record<string, string> = {
    TEAMS_APP_ID: o.appId.toLowerCase(),
    TEAMS_BOT_DOMAIN: o.domain.toLowerCase(),
    APP_VERSION: o.appVersion,
    WEBSITE_URL: o.websiteUrl ?? site,
    PRIVACY_URL: o.privacyUrl ?? site,
    TERMS_URL: o.termsUrl ?? site,
  };
  // Filled inside the parsed JSON, so no value can break out of its string.
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string')
      return v.replace(/\$\{([A-Z_]+)\}/g, (all, name: string) => {
        const value = values[name];
        if (value === undefined) throw new InputError(`manifest template: unknown placeholder ${all}`);
        return value;
      });
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const filled = fill(JSON.parse(template)) as { bots?: { commandLists?: unknown }[] };
  if (filled.bots?.[0]) filled.bots[0].commandLists = commandLists();
  const checked = TeamsManifest.safeParse(filled);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new InputError(`the filled manifest is not valid: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return checked.data;
};

/** The zip: manifest and icons at its root, fixed timestamps so the same inputs give the same bytes. */
export const zipPackage = async (manifest: TeamsManifest, icons: Record<string, Buffer>): Promise<Buffer> => {
  const zip = new ZipFile();
  const mtime = new Date('2026-01-01T00:00:00Z');
  zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), 'manifest.json', { mtime, mode: 0o644 });
  for (const [name, bytes] of Object.entries(icons)) zip.addBuffer(bytes, name, { mtime, mode: 0o644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const usage =
  'usage: npm run teams:package [-- --app-id <guid>] [--domain <host>] [--out-dir <dir>] [--app-version <x.y.z>] ' +
  '[--website-url <url>] [--privacy-url <url>] [--terms-url <url>] | [-- --update-template]';

const updateTemplate = async (): Promise<string> => {
  const file = path.join(templateDir, 'manifest.json');
  const template = JSON.parse(await readFile(file, 'utf8')) as { bots: { commandLists?: unknown }[] };
  template.bots[0]!.commandLists = commandLists();
  // prettier is a dev dependency: this option is for developers changing the grammar.
  const prettier = await import('prettier');
  const text = await prettier.format(JSON.stringify(template, null, 2), {
    ...(await prettier.resolveConfig(file)),
    filepath: file,
  });
  await writeFile(file, text);
  return file;
};

const main = async (argv: string[], env: NodeJS.ProcessEnv): Promise<string> => {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'app-id': { type: 'string' },
      domain: { type: 'string' },
      'out-dir': { type: 'string' },
      'app-version': { type: 'string' },
      'website-url': { type: 'string' },
      'privacy-url': { type: 'string' },
      'terms-url': { type: 'string' },
      'update-template': { type: 'boolean' },
    },
  });
  if (values['update-template']) return `updated ${await updateTemplate()}`;
  const appId = values['app-id'] ?? env.TEAMS_APP_ID;
  if (!appId)
    throw new InputError(
      "no app id: set TEAMS_APP_ID or pass --app-id <guid> (the Azure Bot's Microsoft App ID, see README: Microsoft Teams: register the bot in Azure and install the app)",
    );
  const domain = values.domain ?? env.TEAMS_BOT_DOMAIN;
  if (!domain)
    throw new InputError(
      'no bot domain: set TEAMS_BOT_DOMAIN or pass --domain <host> (the public host name that serves /api/messages, e.g. bot.example.com)',
    );
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const urls = { websiteUrl: values['website-url'], privacyUrl: values['privacy-url'], termsUrl: values['terms-url'] };
  const manifest = fillManifest(await readFile(path.join(templateDir, 'manifest.json'), 'utf8'), {
    appId,
    domain,
    appVersion: values['app-version'] ?? pkg.version,
    ...Object.fromEntries(Object.entries(urls).filter(([, v]) => v !== undefined)),
  });
  const icons = Object.fromEntries(
    await Promise.all(Object.values(ICONS).map(async (f) => [f, await readFile(path.join(templateDir, f))] as const)),
  );
  const outDir = path.resolve(values['out-dir'] ?? path.join(root, 'dist', 'teams'));
  await mkdir(outDir, { recursive: true });
  const out = path.join(outDir, PACKAGE_NAME);
  await writeFile(out, await zipPackage(manifest, icons));
  return out;
};

if (import.meta.main) {
  try {
    console.log(await main(process.argv.slice(2), process.env));
  } catch (err) {
    const known = err instanceof InputError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(
      known ? `teams:package: ${(err as Error).message}\n${usage}` : `teams:package failed: ${String(err)}`,
    );
    process.exitCode = 1;
  }
}
