import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's chromium driven by playwright-core (no downloaded browser). Each launch gets a fresh
 * profile directory, removed on close; flags keep it off the network except for 127.0.0.1.
 */
export interface TestBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const launchBrowser = async (
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<TestBrowser> => {
  const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: chromiumArgs,
      viewport: opts.viewport ?? { width: 1280, height: 860 },
      timeout: 30_000,
    });
  } catch (err) {
    await fs.rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    context,
    newPage: () => context.newPage(),
    close: () =>
      (closing ??= (async () => {
        await context.close();
        await fs.rm(userDataDir, { recursive: true, force: true });
      })()),
  };
};
