// In-runtime tests of the authority worker: its own code and Durable Objects, inside workerd,
// with the Workers Vitest plugin. The worker's config is the deployment config (its own
// wrangler.toml merged over the top-level one), as `npm run deploy` writes it.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { defineConfig } from "vitest/config";
import { DEFAULTS, ROOT, loadWorkerConfigs } from "../../scripts/stack.ts";

const aad = loadWorkerConfigs().find((w) => w.folder === "aad")!;
const dir = join(ROOT, "dist", "test-aad");
mkdirSync(dir, { recursive: true });
const configPath = join(dir, "wrangler.json");
writeFileSync(
  configPath,
  JSON.stringify({
    name: aad.name,
    main: relative(dir, join(aad.dir, aad.main ?? "src/index.ts")),
    compatibility_date: aad.compatibility_date,
    compatibility_flags: aad.compatibility_flags,
    vars: { ...aad.vars, ADMIN_CLIENT_SECRET: DEFAULTS.adminClientSecret },
    durable_objects: aad.durable_objects,
    migrations: aad.migrations,
  }),
);

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath } })],
  test: { name: "workers", include: ["test/workers/**/*.test.ts"], root: ROOT },
});
