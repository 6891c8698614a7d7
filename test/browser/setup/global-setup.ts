import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Once per `npm run test:browser`: the directory for this run's screenshots, handed to the test
 * workers (started after this) through the environment. global-teardown.ts says where it is.
 * A BROWSER_ARTIFACTS_DIR set by the caller is kept (CI collects the screenshots from there);
 * otherwise a fresh temporary directory.
 */
export default function globalSetup(): void {
  const given = process.env.BROWSER_ARTIFACTS_DIR;
  if (given) {
    fs.mkdirSync(given, { recursive: true });
    return;
  }
  process.env.BROWSER_ARTIFACTS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'devops-agent-browser-'));
}
