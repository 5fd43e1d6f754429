import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'coverage/**', 'bench/results/**', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code must be deterministic: no Math.random or host clocks beyond the sandbox's own.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'use sleep/condition from @temporalio/workflow' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'not deterministic' }],
      'no-restricted-imports': ['error', { patterns: [
        { group: ['fs', 'http', 'https', 'net', 'child_process', 'nodemailer'], message: 'no I/O in workflow code' },
        // shared/ (config, encryption, codec server, servers, SMTP sink) is Node I/O, imported by the doors, never by workflows.
        { group: ['**/shared/**'], message: 'shared/ is Node I/O for the worker, client and scripts; workflows import none of it' },
      ] }],
    },
  },
  // Root config files (jest.config.js) are CommonJS too.
  { files: ['*.js'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } } },
  // Test helpers in plain JavaScript: a jest transform (CommonJS) and the test OpenID provider (an ES module run by Node).
  { files: ['test/**/*.js'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['test/**/*.mjs'], languageOptions: { sourceType: 'module', globals: { process: 'readonly' } } },
  { files: ['bin/**/*.js'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
