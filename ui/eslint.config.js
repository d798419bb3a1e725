// ESLint 9 flat config: the JavaScript and typescript-eslint recommended
// rules and React's rules of hooks (eslint-plugin-react-hooks, recommended:
// the rules of hooks, exhaustive deps and the React Compiler's checks).
// `npm run lint`; scripts/test-ui runs it with no warning allowed.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'e2e-artifacts/', 'node_modules/', 'src/api/openapi.gen.ts'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  reactHooks.configs.flat.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
  },
);
