#!/usr/bin/env node
// Runs one of the TypeScript scripts in scripts/ (start, bench, demo, deploy) on the machine's
// Node.js ≥ 20, without type stripping and without any install script: esbuild (a regular
// dependency whose binary arrives as an optional platform package, no postinstall needed)
// bundles the script with its local imports into node_modules/.cache/mie-scripts, packages left
// external, then it runs in this process with the same arguments.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const [name, ...args] = process.argv.slice(2);
if (!name || !/^[a-z-]+$/.test(name)) {
  console.error("usage: node scripts/run.mjs <script> [args…]   (a script of scripts/, e.g. start)");
  process.exit(2);
}
const entry = join(root, "scripts", `${name}.ts`);
const outdir = join(root, "node_modules", ".cache", "mie-scripts");
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, `${name}.mjs`);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "inline",
  logLevel: "warning",
  // The scripts find the checkout from their own location, as they would unbundled.
  define: { "import.meta.url": JSON.stringify(pathToFileURL(entry).href) },
  // Bundled ESM still needs `require` for the CommonJS packages it imports.
  banner: { js: `import { createRequire as __mieCreateRequire } from "node:module"; const require = __mieCreateRequire(${JSON.stringify(pathToFileURL(entry).href)});` },
});
process.argv = [process.argv[0], entry, ...args];
await import(pathToFileURL(outfile).href);
