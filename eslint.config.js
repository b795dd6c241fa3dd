// The house rules, executable: `npm run lint` (scripts/lint.sh) runs this, Prettier and shellcheck.
import js from "@eslint/js";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

/**
 * The layers of src/, lowest first. A folder may import its own layer and the ones before
 * it, never one after: the lab file knows nothing of plans, plans nothing of SSH, src/core holds
 * what a command does (without printing), and only the CLI knows every other layer.
 */
const layers = [
  // segments.ts: what a parent name means, shared by validation and the resolved topology.
  ["src/errors.ts", "src/local-dirs.ts", "src/package-root.ts", "src/net", "src/topology/segments.ts"],
  ["src/labfile"],
  ["src/topology"],
  ["src/plan", "src/graph"],
  ["src/transport"],
  ["src/apply"],
  ["src/verify"],
  ["src/report"],
  ["src/sandbox"],
  ["src/core"],
  // src/class: the class commands (generate, handouts, up/check/down of many labs) print and
  // read lab files as the CLI does, so they sit in its layer.
  ["src/cli", "src/class"],
];

const glob = (path) => (path.endsWith(".ts") ? `./${path}` : `./${path}/**`);
// One zone per (lower, upper) pair; a file of a lower layer inside an upper layer's folder
// (src/topology/segments.ts) stays importable from below.
const layerZones = layers.slice(0, -1).flatMap((lower, i) =>
  lower.flatMap((target) =>
    layers
      .slice(i + 1)
      .flat()
      .map((upper) => ({
        target: glob(target),
        from: glob(upper),
        except: layers
          .slice(0, i + 1)
          .flat()
          .filter((path) => path.startsWith(`${upper}/`))
          .map((path) => `**/${path.replace(/\.ts$/, ".{ts,js}")}`),
        message: "a lower layer never imports an upper one (see the layers in eslint.config.js)",
      })),
  ),
);

export default tseslint.config(
  { ignores: ["dist/**", "bundle/**", "node_modules/**", ".lab/**", "coverage/**"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ["*.js", "*.ts", "bin/*.js", "scripts/*.mjs", "test/cli/fixtures/*.mjs"],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { "import-x": importX },
    settings: {
      // no-cycle parses the files it follows: TypeScript ones too.
      "import-x/extensions": [".ts", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      // The sources import "./x.js" for ./x.ts (NodeNext): resolve it the way tsc does.
      "import-x/resolver-next": [
        createNodeResolver({ extensions: [".ts", ".js"], extensionAlias: { ".js": [".ts", ".js"] } }),
      ],
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "import-x/no-cycle": "error",
      "import-x/no-restricted-paths": ["error", { zones: layerZones }],
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
      // Prettier wraps code at 120; a message or a shell script stays one string, so it may run on.
      "max-len": [
        "error",
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
      // lab matches control characters on purpose: it replaces them before host text reaches a terminal.
      "no-control-regex": "off",
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Tests build hostile and partial values on purpose, and assert on them.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "max-lines": ["error", { max: 700, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    // Plain JavaScript here runs under Node only (the config itself, test fixtures preloaded into the CLI).
    languageOptions: {
      globals: { console: "readonly", process: "readonly", setTimeout: "readonly", clearTimeout: "readonly" },
    },
  },
);
