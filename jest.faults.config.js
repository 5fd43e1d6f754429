/**
 * `npm run test:faults`: the fault-injection suite (test/faults) against the real dev server, a worker in a child
 * process and the SMTP sink. Separate from `jest` (jest.config.js does not match *.faults.ts): it takes minutes.
 * Same setup as jest.config.js (transform, global setup and teardown); only what differs is set here.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config file extending its sibling
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/faults/**/*.faults.ts'],
  // For the tests that read the run's result. The run itself (in beforeAll) gets its limit from its own bounds
  // (runBoundMs in test/faults/run.ts), so a slow run fails on the bound that names what was slow.
  testTimeout: 500_000,
  maxWorkers: 1,
};
