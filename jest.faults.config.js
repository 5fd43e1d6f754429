/**
 * `npm run test:faults`: the fault-injection suite (test/faults) against the real dev server, a worker in a child
 * process and the SMTP sink. Separate from `jest` (jest.config.js does not match *.faults.ts): it takes minutes.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  testMatch: ['<rootDir>/test/faults/**/*.faults.ts'],
  // One run injects faults for ~2 minutes (longer on a loaded machine) and then waits for every review to finish
  // (notices caught by a kill wait out their 2-minute activity timeout).
  testTimeout: 500_000,
  maxWorkers: 1,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
