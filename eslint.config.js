// Boundary rules from DESIGN.md: core/ imports neither electron nor the DOM; renderer/ imports no Node modules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'worker_threads', 'net', 'http', 'https', 'crypto', 'url', 'stream', 'events', 'util', 'zlib'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dist-electron/', 'release/', 'test-results/', '.vite/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['core/**/*.ts', 'electron/**/*.ts', 'test/**/*.ts', 'bin/**/*.mjs', 'scripts/**/*.mjs', '*.config.*', '.ci/**'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'core/ must not import electron (DESIGN.md).' }] }],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'localStorage', 'HTMLElement'],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'renderer/ must not import Node modules (DESIGN.md).' },
            // core/stats is pure math over arrays (no Node, no DOM): the compare view's statistics worker runs it.
            {
              group: ['**/core/*', '!**/core/api', '!**/core/api/*', '!**/core/stats', '!**/core/stats/*'],
              message: 'renderer/ may import only core/api/ (types and schemas) and core/stats/ (pure statistics).',
            },
          ],
          paths: [{ name: 'electron', message: 'renderer/ talks through window.api only.' }],
        },
      ],
    },
  },
);
