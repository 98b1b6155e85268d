import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'bench/results/', '**/node_modules/', 'test-results/', '.attune-data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Demo pages talk to attune through the script tag's global command function.
    files: ['demo/**/*.js'],
    languageOptions: { globals: { ...globals.browser, attune: 'readonly' } },
  },
  {
    // Promise 5: never turn strings into code or markup.
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'Build nodes with createElement/textContent (DESIGN.md promise 5).' },
        { property: 'outerHTML', message: 'Build nodes with createElement/textContent (DESIGN.md promise 5).' },
        { property: 'insertAdjacentHTML', message: 'Build nodes with createElement/textContent (DESIGN.md promise 5).' },
      ],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
)
