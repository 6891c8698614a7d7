import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { BOT_SCOPES } from '../../src/surfaces/slack/oauth.ts';

/** The manifest a user pastes into Slack and the scopes the OAuth install asks for must agree. */
const manifest = readFileSync(new URL('../../manifests/slack/manifest.yaml', import.meta.url), 'utf8');

const listUnder = (key: string, indent: number): string[] => {
  const lines = manifest.split('\n');
  const start = lines.findIndex((l) => l === `${' '.repeat(indent)}${key}:`);
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\s*#/.test(line) || line.trim() === '') continue;
    const m = new RegExp(`^ {${indent + 2}}- (\\S+)`).exec(line);
    if (!m) break;
    out.push(m[1]!);
  }
  return out;
};

describe('Slack app manifest', () => {
  it('requests exactly the bot scopes the OAuth install asks for', () => {
    expect(listUnder('bot', 4).sort()).toEqual([...BOT_SCOPES].sort());
    // Scan digests upload their reports into the digest's thread (src/surfaces/slack/surface.ts attach).
    expect(BOT_SCOPES).toContain('files:write');
  });

  it('subscribes to the events the surface handles and points every URL at /slack/events', () => {
    // Every event the surface listens to (src/surfaces/slack/events.ts) must be subscribed, or Slack never sends it.
    const events = readFileSync(new URL('../../src/surfaces/slack/events.ts', import.meta.url), 'utf8');
    const handled = [...events.matchAll(/app\.event\('(\w+)'/g)]
      .map((m) => m[1]!)
      .flatMap((e) => (e === 'message' ? ['message.channels', 'message.groups', 'message.im'] : [e]));
    expect(listUnder('bot_events', 4).sort()).toEqual([...new Set(handled)].sort());
    expect(listUnder('bot_events', 4)).toEqual(expect.arrayContaining(['app_uninstalled', 'tokens_revoked']));
    const urls = [...manifest.matchAll(/^\s*(?:url|request_url|message_menu_options_url): (\S+)$/gm)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    expect(urls.every((u) => u === 'https://YOUR_HOST/slack/events')).toBe(true);
    expect(manifest).toMatch(/command: \/devops/);
    expect(manifest).toMatch(/home_tab_enabled: true/);
  });
});
