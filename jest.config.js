/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  // The client package from its source, as tsconfig.json's paths say.
  moduleNameMapper: {
    '^@omikai/graph-mailer-client$': '<rootDir>/packages/client/src/index.ts',
    '^@omikai/graph-mailer-client/gridfs$': '<rootDir>/packages/client/src/gridfs.ts',
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Stryker's sandboxes (npm run test:mutation) hold a copy of the project.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30_000,
  maxWorkers: 2,
};
