// `npm run build`'s last step: the CLI as a few bundled files in bundle/ (bin/lab.js runs them
// when they are there), so a command loads one file per chunk instead of hundreds of modules.
// ssh2 stays a package (native parts); commander is CommonJS, hence `require` in the banner.
import { build } from "esbuild";

await build({
  entryPoints: ["dist/cli/main.js"],
  outdir: "bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  external: ["ssh2"],
  banner: {
    js: "import { createRequire as __labRequire } from 'node:module'; const require = __labRequire(import.meta.url);",
  },
  logLevel: "warning",
});
