import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Once per `npm run test:browser`: a fresh directory for this run's screenshots, handed to the test
 * workers (started after this) through the environment. global-teardown.ts says where it is.
 */
export default function globalSetup(): void {
  process.env.BROWSER_ARTIFACTS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'devops-agent-browser-'));
}
