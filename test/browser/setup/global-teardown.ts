import fs from 'node:fs';

/** Prints where this run's screenshots are, once, at the end; removes the directory if none were taken. */
export default function globalTeardown(): void {
  const dir = process.env.BROWSER_ARTIFACTS_DIR;
  if (!dir || !fs.existsSync(dir)) return;
  const files = fs.readdirSync(dir);
  if (files.length === 0) {
    fs.rmdirSync(dir);
    return;
  }
  console.log(`\nBrowser screenshots (${files.length}): ${dir}`);
}
