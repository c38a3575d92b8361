// ESLint flat config: the recommended rules of @eslint/js and typescript-eslint over every
// source, test, bench and script of the repository. `npm test` runs it (test/lint.test.ts);
// `npm run lint` runs it alone. A disable comment that no rule needs is an error.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['**/node_modules/', '**/dist/', '**/.generated/', '.data/', 'coverage/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { ecmaVersion: 2023, globals: { ...globals.node } },
    rules: {
      // The packages are CommonJS: require() is how they load optional libraries, exporters and
      // their own package.json lazily and synchronously at start-up (an unused exporter costs
      // nothing), and how tests load a library after its instrumentation is enabled.
      '@typescript-eslint/no-require-imports': 'off',
      // Wrappers installed on a library's prototype keep the library's `this` and reach the
      // instrumentation as `self`; once narrowed, the library's `this` is named for what it is.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self', 'instance', 'model'] }],
      // `_name`: a parameter an interface requires and this implementation does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    files: ['packages/audit-sink/ui-assets/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
