import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { crc32, inflateRawSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CommandWord } from '../../src/engine/planner/command.ts';
import { HELP, HELP_SUMMARY, helpFor } from '../../src/engine/planner/help.ts';
import {
  MENU_LIMITS,
  PACKAGE_NAME,
  SURFACE_COMMANDS,
  TeamsManifest,
  commandMenu,
  menuEntry,
  zipPackage,
} from '../../scripts/teams-package.ts';

/**
 * `npm run teams:package` end to end: the script runs in a child process with the repository's
 * node, and its zip is read back here with a small reader of the zip's central directory (yauzl is
 * not installed) and node:zlib; the icons are decoded from their PNG chunks.
 */

const repo = path.resolve(import.meta.dirname, '../..');
const script = path.join(repo, 'scripts', 'teams-package.ts');
const templateDir = path.join(repo, 'manifests', 'teams');
const APP_ID = 'AB12CD34-0000-4A5B-8C9D-0123456789EF';
const DOMAIN = 'bot.example.com';

const run = (args: string[], env: Record<string, string> = {}) => {
  // Only what the script needs: a TEAMS_APP_ID in the runner's environment must not leak in.
  const childEnv = { PATH: process.env.PATH ?? '', ...env };
  return promisify(execFile)(process.execPath, [script, ...args], { env: childEnv, cwd: repo }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
};

// --- A zip's entries, from its central directory (PKWARE APPNOTE 4.3.12, 4.3.7, 4.3.16) ---------

const readZip = (zip: Buffer): Map<string, Buffer> => {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBeGreaterThan(0);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    expect([0, 8]).toContain(method);
    const data = method === 8 ? inflateRawSync(raw) : raw;
    expect(data.length).toBe(size);
    expect(crc32(data)).toBe(crc);
    files.set(name, data);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
};

// --- A PNG's size and pixels (PNG spec: chunks, IHDR, filtered scanlines in zlib'd IDAT) -------

interface Png {
  width: number;
  height: number;
  channels: number;
  pixels: Buffer;
}

const readPng = (png: Buffer): Png => {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  for (;;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    expect(crc32(png.subarray(at + 4, at + 8 + length))).toBe(png.readUInt32BE(at + 8 + length));
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
    if (type === 'IEND') break;
  }
  if (!ihdr) throw new Error('no IHDR');
  const [width, height, depth, colorType, interlace] = [
    ihdr.readUInt32BE(0),
    ihdr.readUInt32BE(4),
    ihdr[8],
    ihdr[9],
    ihdr[12],
  ];
  // The icons are 8-bit truecolor (2) or truecolor with alpha (6), not interlaced.
  expect({ depth, interlace }).toEqual({ depth: 8, interlace: 0 });
  expect([2, 6]).toContain(colorType);
  const channels = colorType === 6 ? 4 : 3;
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe(height * (stride + 1));
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? out[y * stride + x - channels]! : 0;
      const up = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const corner = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      const paeth = () => {
        const p = left + up - corner;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - corner)];
        return pa <= pb && pa <= pc ? left : pb <= pc ? up : corner;
      };
      const predictor = [0, left, up, (left + up) >> 1, paeth()][filter];
      if (predictor === undefined) throw new Error(`bad filter ${filter}`);
      out[y * stride + x] = (raw[y * (stride + 1) + 1 + x]! + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels: out };
};

describe('Teams app icons', () => {
  it('color.png is 192x192', async () => {
    const png = readPng(await readFile(path.join(templateDir, 'color.png')));
    expect([png.width, png.height]).toEqual([192, 192]);
  });

  it('outline.png is 32x32, white on a transparent background, and not empty', async () => {
    const png = readPng(await readFile(path.join(templateDir, 'outline.png')));
    expect([png.width, png.height, png.channels]).toEqual([32, 32, 4]);
    let opaque = 0;
    let transparent = 0;
    for (let i = 0; i < png.pixels.length; i += 4) {
      const [r, g, b, a] = png.pixels.subarray(i, i + 4);
      if (a === 0) transparent++;
      else expect([r, g, b]).toEqual([255, 255, 255]);
      if (a === 255) opaque++;
    }
    expect(opaque).toBeGreaterThan(50);
    expect(transparent).toBeGreaterThan(32 * 32 * 0.4);
    // Corners are background.
    for (const i of [0, 31, 32 * 31, 32 * 32 - 1]) expect(png.pixels[i * 4 + 3]).toBe(0);
  });
});

describe('the command menu', () => {
  const menu = commandMenu();

  it('holds at most 10 commands, each within the title and description limits', () => {
    expect(menu).toHaveLength(MENU_LIMITS.commands);
    expect(MENU_LIMITS).toEqual({ commands: 10, title: 32, description: 128 });
    for (const c of menu) {
      expect(c.title.length).toBeLessThanOrEqual(32);
      expect(c.description.length).toBeLessThanOrEqual(128);
      expect(c.description).not.toContain('`');
    }
    expect(new Set(menu.map((c) => c.title)).size).toBe(menu.length);
  });

  it("comes from the grammar's help: every command HELP_SUMMARY names, help first, the rest in HELP order", () => {
    const titles = menu.map((c) => c.title);
    expect(titles[0]).toBe('help');
    for (const named of ['list', 'show', 'costs', 'changes', 'stop', 'approve', 'help']) {
      expect(HELP_SUMMARY).toContain(`\`${named}`);
      expect(titles).toContain(named);
    }
    const grammar = titles.filter((t) => CommandWord.safeParse(t).success);
    const helpOrder = HELP.map((e) => e.command).filter((w) => grammar.includes(w));
    expect(grammar).toEqual(helpOrder);
    for (const c of menu) {
      const word = CommandWord.safeParse(c.title);
      if (word.success) expect(c.description.startsWith(`${helpFor(word.data).usage} — `)).toBe(true);
      else expect(SURFACE_COMMANDS.map((s) => s.title)).toContain(c.title);
    }
    // Teams has no App Home: the menu offers the surface's `home` command.
    expect(titles).toContain('home');
  });

  it('fills the remaining slots in HELP order and cuts long descriptions at a word', () => {
    const help = Array.from({ length: 14 }, (_, i) => ({
      command: `c${i}` as CommandWord,
      usage: `c${i} <thing>`,
      description: i === 12 ? `${'word '.repeat(40)}end. Second sentence.` : `Does ${i}. More detail.`,
      example: `c${i}`,
    }));
    const picked = commandMenu(help, 'Try `c12 x` or `c3`.', [{ title: 'home', description: 'home — x' }]);
    expect(picked.map((c) => c.title)).toEqual(['c0', 'home', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c12']);
    expect(picked[1]).toEqual({ title: 'home', description: 'home — x' });
    expect(picked[2]!.description).toBe('c1 <thing> — Does 1.');
    const long = picked.at(-1)!.description;
    expect(long.length).toBeLessThanOrEqual(128);
    expect(long).toMatch(/^c12 <thing> — word word .* word…$/);
    expect(menuEntry(help[0]!)).toEqual({ title: 'c0', description: 'c0 <thing> — Does 0.' });
  });

  it('is what manifests/teams/manifest.json shows (run `npm run teams:package -- --update-template` after changing help)', async () => {
    const template = JSON.parse(await readFile(path.join(templateDir, 'manifest.json'), 'utf8'));
    expect(template.bots[0].commandLists).toEqual([{ scopes: ['personal', 'team', 'groupChat'], commands: menu }]);
  });
});

describe('npm run teams:package', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'teams-package-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('zips the filled manifest and both icons at the root of dist/teams/devops-agent-teams.zip', async () => {
    const r = await run(['--out-dir', dir], { TEAMS_APP_ID: APP_ID, TEAMS_BOT_DOMAIN: DOMAIN });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const out = path.join(dir, PACKAGE_NAME);
    expect(r.stdout.trim()).toBe(out);
    const files = readZip(await readFile(out));
    expect([...files.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    for (const icon of ['color.png', 'outline.png'])
      expect(files.get(icon)).toEqual(await readFile(path.join(templateDir, icon)));

    const text = files.get('manifest.json')!.toString('utf8');
    expect(text).not.toContain('${');
    const manifest = JSON.parse(text);
    expect(TeamsManifest.safeParse(manifest).success).toBe(true);
    const pkg = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      $schema: 'https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json',
      manifestVersion: '1.30',
      version: pkg.version,
      id: APP_ID.toLowerCase(),
      developer: { websiteUrl: `https://${DOMAIN}/`, privacyUrl: `https://${DOMAIN}/` },
      icons: { color: 'color.png', outline: 'outline.png' },
      validDomains: [DOMAIN],
    });
    expect(manifest.bots).toHaveLength(1);
    expect(manifest.bots[0]).toMatchObject({
      botId: APP_ID.toLowerCase(),
      scopes: ['personal', 'team', 'groupChat'],
      isNotificationOnly: false,
    });
    expect(manifest.bots[0].commandLists).toEqual([
      { scopes: ['personal', 'team', 'groupChat'], commands: commandMenu() },
    ]);
    // The documented limits, independently of the script's own schema.
    expect(manifest.name.short.length).toBeLessThanOrEqual(30);
    expect(manifest.description.short.length).toBeLessThanOrEqual(80);
    expect(manifest.description.full.length).toBeLessThanOrEqual(4000);
    expect(manifest.accentColor).toMatch(/^#[0-9a-fA-F]{6}$/);
  });

  it('takes flags over the environment', async () => {
    const other = '00000000-1111-2222-3333-444444444444';
    const r = await run(
      ['--out-dir', dir, '--app-id', other, '--domain', 'teams.example.org', '--app-version', '2.3.4'],
      { TEAMS_APP_ID: APP_ID, TEAMS_BOT_DOMAIN: DOMAIN },
    );
    expect(r.code).toBe(0);
    const manifest = JSON.parse(
      readZip(await readFile(path.join(dir, PACKAGE_NAME)))
        .get('manifest.json')!
        .toString(),
    );
    expect(manifest).toMatchObject({ id: other, version: '2.3.4', validDomains: ['teams.example.org'] });
    expect(manifest.bots[0].botId).toBe(other);
  });

  it('refuses bad input with one clear line and exit 1, writing nothing', async () => {
    const cases: [Record<string, string>, string[], RegExp][] = [
      [{ TEAMS_BOT_DOMAIN: DOMAIN }, [], /no app id: set TEAMS_APP_ID or pass --app-id/],
      [{ TEAMS_APP_ID: 'my-bot', TEAMS_BOT_DOMAIN: DOMAIN }, [], /the app id "my-bot" is not a GUID/],
      [{ TEAMS_APP_ID: APP_ID }, [], /no bot domain: set TEAMS_BOT_DOMAIN/],
      [{ TEAMS_APP_ID: APP_ID }, ['--domain', 'https://bot.example.com/api'], /is not a host name.*without https:\/\//],
      [{ TEAMS_APP_ID: APP_ID, TEAMS_BOT_DOMAIN: DOMAIN }, ['--app-version', 'v1'], /version: must be x\.y\.z/],
      [
        { TEAMS_APP_ID: APP_ID, TEAMS_BOT_DOMAIN: DOMAIN },
        ['--privacy-url', 'http://x'],
        /privacyUrl: must be an https/,
      ],
      [{}, ['--app-idd', APP_ID], /Unknown option '--app-idd'/],
    ];
    // In parallel: each is a node start-up.
    const results = await Promise.all(
      cases.map(async ([env, args], i) => run(['--out-dir', path.join(dir, `refused-${i}`), ...args], env)),
    );
    for (const [i, r] of results.entries()) {
      const [env, args, message] = cases[i]!;
      expect({ env, args, code: r.code, stdout: r.stdout }).toEqual({ env, args, code: 1, stdout: '' });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/\nusage: npm run teams:package/);
      await expect(readFile(path.join(dir, `refused-${i}`, PACKAGE_NAME))).rejects.toThrow(/ENOENT/);
    }
  });

  it('gives the same bytes for the same inputs', async () => {
    const manifest = TeamsManifest.parse(
      JSON.parse(
        readZip(await readFile(path.join(dir, PACKAGE_NAME)))
          .get('manifest.json')!
          .toString(),
      ),
    );
    const icons = { 'color.png': Buffer.from([1, 2, 3]), 'outline.png': Buffer.from([4]) };
    expect(await zipPackage(manifest, icons)).toEqual(await zipPackage(manifest, icons));
  });
});
