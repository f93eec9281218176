// ESLint flat config: typescript-eslint's strict, type-checked rules, tuned where they do not fit.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.ci/', 'coverage/', 'fixtures/', 'bin/', '**/*.cjs', '*.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // tsconfig has noUncheckedIndexedAccess: `items[i]!` after a bounds check is the idiom, not a smell.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Counts and flags read naturally in messages.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `(t) => void (out += t)` and one-line arrow callbacks are the house style for sinks;
      // `return send(res, 404, …)` as a guard clause inside a function that returns void is too.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidOperator: true, ignoreVoidReturningFunctions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // These files escape or detect terminal control characters: their regexes match them on purpose.
    files: ['src/util/terminal.ts', 'test/cli/smoke.test.ts', 'test/report/terminal-safety.test.ts'],
    rules: { 'no-control-regex': 'off' },
  },
);
