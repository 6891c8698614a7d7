// Jest runs our TypeScript as native ESM (node --experimental-vm-modules), transformed by swc.
// Source files import each other with explicit `.ts` extensions (Node 24 runs them without a build).
import { availableParallelism } from 'node:os';

const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2024', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
};
const common = { transform, extensionsToTreatAsEsm: ['.ts'], testEnvironment: 'node' };

// `npm test` runs unit + integration; the browser tests need Debian's chromium and run with
// `npm run test:browser` (JEST_BROWSER=1). Selecting here, not with --selectProjects, keeps
// `npm test -- <file>` working.
const browser = process.env.JEST_BROWSER === '1';

export default {
  // A global option: jest ignores testTimeout inside a project entry (it silently stayed 5 s there).
  // Hooks start databases and apps; on a cold, busy machine the first embedded template takes seconds.
  testTimeout: browser ? 90_000 : 60_000,
  // Each test file imports the app's module graph again in a fresh vm context, and those are not
  // all reclaimed: run in band (2 cores: jest's one worker), the whole suite outgrew a 4 GB heap.
  // With a limit, the files run in a worker that is replaced once it holds more than this after a file.
  workerIdleMemoryLimit: '1536MB',
  // The tests mostly wait: on loopback fakes, child processes and the database. Jest's default of
  // cores − 1 gives a 2-core machine one worker; two ran a sample of 19 integration files in 68 s
  // instead of 102 s on embedded PGlite, and in 52 s instead of 91 s on PostgreSQL (each file has
  // its own database either way). A third worker gained nothing on embedded.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  projects: browser
    ? [
        {
          ...common,
          displayName: 'browser',
          testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
          // One screenshot directory per run, shared by the test workers, printed at the end.
          globalSetup: '<rootDir>/test/browser/setup/global-setup.ts',
          globalTeardown: '<rootDir>/test/browser/setup/global-teardown.ts',
        },
      ]
    : [
        { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
        {
          ...common,
          displayName: 'integration',
          testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/transcripts/**/*.test.ts'],
        },
      ],
};
