import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'src/store/migrations/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', fetch: 'readonly', document: 'readonly', window: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // docs/architecture.md#sdk-boundaries: the core never imports a surface SDK or a cloud SDK.
    files: ['src/chat/**', 'src/engine/**', 'src/changes/**', 'src/users/**', 'src/jobs/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@slack/*', '@microsoft/agents-*', 'botbuilder', '@aws-sdk/*', '@azure/*', '@google-cloud/*', '@kubernetes/*', '@pagerduty/*'], message: 'Only a surface adapter or a cloud provider may import an SDK (docs/architecture.md#sdk-boundaries).' },
        { group: ['**/surfaces/**'], message: 'The core never imports a surface.' },
      ] }],
    },
  },
);
