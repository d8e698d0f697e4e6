import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/*.cjs', 'dist/**', 'node_modules/**', 'coverage/**', 'bench-results/**', '.data/**', 'apps/server/public/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A forgotten await is a lost alert (STYLE.md §10).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['libs/domain/**/*.ts', 'libs/rules/**/*.ts', 'libs/protocol/**/*.ts', 'devices-sim/src/generators/**/*.ts', 'devices-sim/src/scenarios/**/*.ts'],
    rules: {
      // Pure layers never read the clock: time is an argument (STYLE.md §1).
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'pass the time in as an argument' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'pass the time in as an argument' }],
    },
  },
  {
    // Services orchestrate; repositories own I/O (docs/architecture.md). A service that builds SQL
    // is a query nobody else can find; .dependency-cruiser.cjs keeps `pg` out of services too.
    files: ['apps/server/src/**/*.service.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: String.raw`TemplateElement[value.raw=/\b(SELECT|INSERT|UPDATE|DELETE|WITH)\b[\s\S]*\b(FROM|INTO|SET|WHERE|VALUES)\b/]`,
          message: 'no SQL in a service: put the query in a repository',
        },
        {
          selector: String.raw`Literal[value=/\b(SELECT|INSERT|UPDATE|DELETE|WITH)\b[\s\S]*\b(FROM|INTO|SET|WHERE|VALUES)\b/]`,
          message: 'no SQL in a service: put the query in a repository',
        },
        {
          selector: "CallExpression[callee.property.name='query']",
          message: 'no SQL in a service: a repository runs the queries',
        },
      ],
    },
  },
  {
    files: ['apps/server/public/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', localStorage: 'readonly', io: 'readonly', console: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', clearTimeout: 'readonly', clearInterval: 'readonly', Audio: 'readonly', AudioContext: 'readonly', navigator: 'readonly', location: 'readonly', URLSearchParams: 'readonly', URL: 'readonly', sessionStorage: 'readonly', Intl: 'readonly', requestAnimationFrame: 'readonly', HTMLElement: 'readonly', Event: 'readonly', alert: 'readonly' } },
  },
);
