// In-runtime tests of the identity-endpoints worker (IMDS and App Service's endpoint) inside
// workerd, with the Workers Vitest pool: its own config as `npm run deploy` writes it, the
// authority as its one auxiliary worker (the bundle the local server runs), and one binding the
// deployment does not have: ADMIN_DIRECTORY, the authority's ManagedIdentityDirectory, so a test
// can create the principals Resource Manager would. Wire rules and the token flow run here in
// milliseconds, without sockets; the unmodified SDKs stay in the e2e project.
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";
import { ROOT, loadWorkerConfigs, wranglerJson } from "../../scripts/stack.ts";
import { auxiliaryWorker } from "../support/auxiliary-worker.ts";

export default defineConfig(async () => {
  const workers = loadWorkerConfigs();
  const imds = workers.find((w) => w.folder === "imds")!;
  const aad = workers.find((w) => w.folder === "aad")!;
  const dir = join(ROOT, "dist", "test-imds");
  mkdirSync(dir, { recursive: true });
  const config = wranglerJson(imds, dir, { vars: { IMDS_THROTTLING: "off", LOG: "off" }, withoutServices: ["mie-console"] }) as { services?: unknown[] };
  config.services = [...(config.services ?? []), { binding: "ADMIN_DIRECTORY", service: aad.name, entrypoint: "ManagedIdentityDirectory" }];
  const configPath = join(dir, "wrangler.json");
  writeFileSync(configPath, JSON.stringify(config));

  const authority = await auxiliaryWorker(aad);

  return {
    plugins: [cloudflareTest({ wrangler: { configPath }, miniflare: { workers: [authority] } })],
    test: { name: "workers-imds", include: ["test/workers-imds/**/*.test.ts"], root: ROOT },
  };
});
