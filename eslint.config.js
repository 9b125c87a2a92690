// Lint rules for pinlab. Besides ordinary hygiene they enforce the house rules of
// ../shared/design.md: the layer import direction, kernel snake_case names only under
// src/linux/, no bare `yield` outside src/sched/, and no hidden nondeterminism or
// module-level mutable state in the model.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layers from top to bottom; a layer may import only the layers listed after it.
const LAYERS = ['cli', 'serve', 'conformance', 'report', 'scenario', 'explore', 'check', 'linux', 'profiles', 'sched'];

function layerRules(layer) {
  const idx = LAYERS.indexOf(layer);
  const above = LAYERS.slice(0, idx);
  if (above.length === 0) return {};
  return {
    'no-restricted-imports': ['error', {
      patterns: above.map((l) => ({
        group: [`../${l}/*`, `../../${l}/*`, `../../../${l}/*`, `../../../../${l}/*`, `../../../../../${l}/*`],
        message: `src/${layer}/ may not import src/${l}/ (layers import only downwards: ${LAYERS.join(' > ')}).`,
      })),
    }],
  };
}

const camel = [
  { selector: 'default', format: ['camelCase'], leadingUnderscore: 'allow' },
  { selector: 'variable', format: ['camelCase', 'UPPER_CASE', 'PascalCase'], leadingUnderscore: 'allow' },
  { selector: 'function', format: ['camelCase', 'PascalCase'] },
  { selector: 'typeLike', format: ['PascalCase'] },
  { selector: 'enumMember', format: ['PascalCase', 'UPPER_CASE'] },
  { selector: ['objectLiteralProperty', 'typeProperty', 'classProperty'], format: null },
  { selector: 'import', format: null },
  { selector: 'parameter', format: ['camelCase'], leadingUnderscore: 'allow' },
];

const determinism = {
  'no-restricted-properties': ['error',
    { object: 'Math', property: 'random', message: 'Nondeterminism: every choice goes through the chooser (design.md principle 4).' },
    { object: 'Date', property: 'now', message: 'Nondeterminism: the model has no wall clock.' },
    { object: 'performance', property: 'now', message: 'Nondeterminism: the model has no wall clock.' },
  ],
};

const noModuleLet = {
  selector: 'Program > VariableDeclaration[kind="let"], Program > ExportNamedDeclaration > VariableDeclaration[kind="let"]',
  message: 'No module-level mutable state: all state lives in the Machine (design.md principle 4).',
};
const noBareYield = {
  selector: 'YieldExpression[delegate=false]',
  message: 'A bare `yield` is allowed only in src/sched/ primitives; call kernel paths with `yield*`.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'conformance/work/**', 'coverage/**', 'web/dist/**', '.stryker-tmp/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-labels': 'off',
      // A KThread may have paths that never yield: it still might sleep in the kernel.
      'require-yield': 'off',
    },
  },
  { files: ['**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  { files: ['src/**/*.ts'], ignores: ['src/linux/**'], rules: { '@typescript-eslint/naming-convention': ['error', ...camel] } },
  ...LAYERS.map((layer) => ({ files: [`src/${layer}/**/*.ts`], rules: layerRules(layer) })),
  {
    files: ['src/linux/**/*.ts', 'src/sched/**/*.ts', 'src/profiles/**/*.ts', 'src/explore/**/*.ts', 'src/check/**/*.ts'],
    rules: {
      ...determinism,
      'no-restricted-syntax': ['error', noModuleLet, ...[]],
    },
  },
  // web/ (the visualizer) reads only the documented state/trace types of src/report/state-types.ts, never the model.
  {
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', location: 'readonly', history: 'readonly', fetch: 'readonly' } },
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '(^|/)src/(?!report/state-types\\.js$)',
          message: 'web/ may import only the documented state and trace types (src/report/state-types.ts), never src/linux or other layers.',
        }],
      }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/sched/**'],
    rules: {
      'no-restricted-syntax': ['error', noBareYield, noModuleLet],
    },
  },
);
