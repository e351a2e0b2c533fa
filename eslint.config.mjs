import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      '**/dist/',
      '.bench-build/',
      'node_modules/',
      'coverage/',
      'jest.config.js',
      'packages/client/esm/',
      '.stryker-tmp/',
      'reports/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only config/ reads process.env; take values from Config.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'NewExpression[callee.name=/^(Redis|Cluster|IORedis)$/], NewExpression[callee.property.name=/^(Redis|Cluster)$/]',
          message:
            'Connect through createRedisConnection (packages/client/src/redis-connection.ts), so every process supports Sentinel and Cluster.',
        },
      ],
    },
  },
  {
    // The one place a Redis client is constructed (in the client package: the ERP's producer connects through it too).
    files: ['packages/client/src/redis-connection.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The demo and the development tools pass their environment on to the processes they start.
    files: ['config/**', 'test/**', 'bench/**', 'tools/**', 'workers/demo.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
