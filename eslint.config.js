// Flat config. The one architectural rule enforced here: only app/ may import electron,
// so that everything else runs (and is tested) under plain Node.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const electronBan = {
  paths: [{ name: 'electron', message: 'Only app/ may import electron; put the logic in agent/ and inject it.' }],
  patterns: [{ group: ['electron/*'], message: 'Only app/ may import electron.' }],
};

/**
 * server/routes/ talks to the database only through ctx.repos and ctx.tx (issue 15): no Kysely, no database handle,
 * no repository built by hand on some connection of its own. Types from repositories stay importable.
 */
const routesUseRepositories = {
  paths: [
    ...electronBan.paths,
    { name: 'kysely', message: 'Routes use ctx.repos / ctx.tx; queries live in server/repositories/.' },
  ],
  patterns: [
    ...electronBan.patterns,
    { group: ['**/db/connect.js', '**/db/connect'], message: 'Routes get no database handle; use ctx.repos / ctx.tx.' },
    {
      group: ['**/repositories/*'],
      importNamePattern: 'Repo$',
      message: 'Routes do not build repositories; use ctx.repos, or ctx.tx(repos => …) for a transaction.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', '.node/', 'dist/', 'out/', 'test/fixtures/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', electronBan],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['server/routes/**'],
    rules: {
      'no-restricted-imports': ['error', routesUseRepositories],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[property.name=/^(handle|db|transaction|selectFrom|insertInto|updateTable|deleteFrom)$/]',
          message: 'Routes reach the database only through ctx.repos and ctx.tx; put the query in server/repositories/.',
        },
      ],
    },
  },
  {
    files: ['app/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
