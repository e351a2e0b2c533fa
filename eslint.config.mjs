import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', '**/dist/', '.bench-build/', 'node_modules/', 'coverage/', 'jest.config.js', 'packages/client/esm/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only config/ reads process.env; take values from Config.' },
      ],
    },
  },
  {
    // The demo passes its environment on to the worker process it starts.
    files: ['config/**', 'test/**', 'bench/**', 'workers/demo.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
