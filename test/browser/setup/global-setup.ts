import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Once per `npm run test:browser`: the directory for this run's screenshots, handed to the test
 * workers (started after this) through the environment. global-teardown.ts says where it is.
 * `.ci/run` names one inside the clone (`artifacts/browser/`, kept as the run's artefacts); without
 * it, a fresh temporary directory.
 */
export default function globalSetup(): void {
  const preset = process.env.BROWSER_ARTIFACTS_DIR;
  if (preset) fs.mkdirSync(preset, { recursive: true });
  process.env.BROWSER_ARTIFACTS_DIR = preset || fs.mkdtempSync(path.join(os.tmpdir(), 'devops-agent-browser-'));
}
