// Mutation testing (npm run test:mutation): the modules where a wrong line means a wrong e-mail,
// killed by the fast tests that exercise them (unit, store contract, gate). Scores: docs/testing.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  // No type checker by default: here it took twice the CPU of the tests it saved. A mutant that does not
  // type-check runs like any other and is judged by the tests. To set such mutants apart as compile
  // errors: npm run test:mutation -- --checkers typescript (reads typescriptChecker and tsconfigFile).
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 2,
  // Added to each mutant's expected test time: a mutant that loops (a start that never ends its rounds) ends as a timeout.
  timeoutMS: 5000,
  mutate: [
    'src/graph/classify-send-result.ts',
    'src/sending/retry-policy.ts',
    'src/settings/resolve-sender.ts',
    'packages/client/src/email-job.ts',
    'packages/client/src/send-mail-body.ts',
    'src/flow/mailbox-gate.ts',
    'src/flow/flow-policy.ts',
    'src/delivery/memory-delivery-store.ts',
    'src/delivery/mongo-delivery-store.ts',
    'src/secrets/encrypted-secret.ts',
    'src/secrets/secret-keyring.ts',
  ],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    config: {
      // test/mutation/run-mutation.ts starts Redis and MongoDB once for every run.
      globalSetup: null,
      globalTeardown: null,
      testMatch: [
        '<rootDir>/test/unit/classify-send-result.test.ts',
        '<rootDir>/test/unit/retry-policy.test.ts',
        '<rootDir>/test/unit/resolve-sender.test.ts',
        '<rootDir>/test/unit/email-job.test.ts',
        '<rootDir>/test/unit/send-mail-body.test.ts',
        '<rootDir>/test/unit/flow-policy.test.ts',
        '<rootDir>/test/flow/mailbox-gate.test.ts',
        '<rootDir>/test/unit/memory-delivery-store.test.ts',
        '<rootDir>/test/contract/delivery-store.contract.test.ts',
        '<rootDir>/test/contract/mongo-indexes.contract.test.ts',
        '<rootDir>/test/contract/mongo-delivery-store.contract.test.ts',
        '<rootDir>/test/contract/mongo-delivery-interleavings.contract.test.ts',
        '<rootDir>/test/unit/encrypted-secret.test.ts',
        '<rootDir>/test/unit/secret-edges.test.ts',
        '<rootDir>/test/unit/settings-secrets.test.ts',
        '<rootDir>/test/mutation/**/*.test.ts',
      ],
    },
  },
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: 93 },
  tempDirName: '.stryker-tmp',
};
