/**
 * `npm run test:cluster`: the reviews on the production-shaped cluster (test/cluster): two Temporal server processes on
 * PostgreSQL, three workers sharing the PostgreSQL notice ledger, faults, all in real minutes. Separate from `jest`
 * (jest.config.js does not match *.cluster.ts). Same setup as jest.config.js; only what differs is set here.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config file extending its sibling
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/cluster/**/*.cluster.ts'],
  // For the tests that read the run's result; the run itself (beforeAll) is bounded by its own settle time.
  testTimeout: 60_000,
  maxWorkers: 1,
};
