// In-runtime tests of the authority worker: its own code and Durable Objects, inside workerd,
// with the Workers Vitest plugin. The worker's config is the deployment config (its own
// wrangler.toml merged over the top-level one), as `npm run deploy` writes it.
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";
import { DEFAULTS, ROOT, loadWorkerConfigs, wranglerJson } from "../../scripts/stack.ts";

const aad = loadWorkerConfigs().find((w) => w.folder === "aad")!;
const dir = join(ROOT, "dist", "test-aad");
mkdirSync(dir, { recursive: true });
const configPath = join(dir, "wrangler.json");
writeFileSync(configPath, JSON.stringify(wranglerJson(aad, dir, { vars: { ADMIN_CLIENT_SECRET: DEFAULTS.adminClientSecret }, withoutServices: ["mie-console"] })));

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath } })],
  test: { name: "workers", include: ["test/workers/**/*.test.ts"], root: ROOT },
});
