// Two projects. unit: pure tests (no build, no services, no child processes), by directory or
// file pattern so that moving source files does not change the split. e2e: every other test.
const UNIT = [
  '/test/unit/.*\\.spec\\.ts$',
  '/test/layer/in-memory-[^/]*\\.spec\\.ts$',
  // The client's pure logic; the other client tests talk to a running service.
  '/test/client/(backoff|heartbeat|options)\\.spec\\.ts$',
];

const common = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  roots: ['<rootDir>/src', '<rootDir>/test'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 30000,
  testSequencer: '<rootDir>/test/support/selected-tests-sequencer.cjs',
  projects: [
    { ...common, displayName: 'unit', testRegex: UNIT },
    {
      ...common,
      displayName: 'e2e',
      testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
      testPathIgnorePatterns: ['/node_modules/', ...UNIT],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};
