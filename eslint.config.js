// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'generated/**', 'data/**', '.tools/**', 'scratch/**', 'test/artifacts/**', 'bench/results/**', 'chaos/results/**', '.build/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed deterministically inside Temporal's sandbox: no I/O, no Node,
    // no database, no activity implementations (types only), no environment.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflows run in a deterministic sandbox: no Node modules.' },
            { group: ['../activities/*', '../activities'], allowTypeImports: true, message: 'Import activities only as types: `import type { Activities }`.' },
            { group: ['../api/*', '../worker/*', '../db/*', '../infra/*', '../providers/*'], message: 'Workflows may not import I/O code.' },
            { group: ['@prisma/*', '../generated/*', 'express', 'pino', 'pg'], message: 'Workflows may not do I/O.' },
          ],
          paths: ['fs', 'path', 'crypto', 'os', 'http', 'https', 'net', 'child_process', 'process'].map((name) => ({
            name,
            message: 'Workflows run in a deterministic sandbox: no Node modules.',
          })),
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
      'no-restricted-globals': ['error', { name: 'process', message: 'Workflows may not read the environment.' }],
    },
  },
);
