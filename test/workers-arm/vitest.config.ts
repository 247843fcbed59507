// In-runtime tests of Resource Manager inside workerd, with the Workers Vitest pool: its own
// config as `npm run deploy` writes it, with the authority and the identity endpoints as its two
// auxiliary workers (the bundles the local server runs). Key Vault, Storage, Graph and the console
// are left out: three or more wired auxiliary workers have crashed workerd (workers-sdk #14945), and
// Resource Manager's rules (validation, RBAC, identities) need only these two; the vault and
// storage types stay in the e2e project. One binding the deployment does not have: LOGIN, the
// authority's public HTTP, so a test gets tokens as any client does.
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";
import { ROOT, loadWorkerConfigs, wranglerJson } from "../../scripts/stack.ts";
import { auxiliaryWorker } from "../support/auxiliary-worker.ts";

export default defineConfig(async () => {
  const workers = loadWorkerConfigs();
  const byFolder = (folder: string) => workers.find((w) => w.folder === folder)!;
  const arm = byFolder("arm");
  const aad = byFolder("aad");
  const imds = byFolder("imds");
  const dir = join(ROOT, "dist", "test-arm");
  mkdirSync(dir, { recursive: true });
  const urls = { ARM_URL: "https://management.azure.com", LOGIN_URL: "https://login.microsoftonline.com", IMDS_URL: "http://169.254.169.254" };
  const config = wranglerJson(arm, dir, {
    vars: { LOG: "off", ...urls },
    withoutServices: [byFolder("keyvault").name, byFolder("storage").name, byFolder("graph").name, byFolder("console").name],
  }) as { services?: unknown[] };
  config.services = [...(config.services ?? []), { binding: "LOGIN", service: aad.name }, { binding: "IMDS_HTTP", service: imds.name }];
  const configPath = join(dir, "wrangler.json");
  writeFileSync(configPath, JSON.stringify(config));

  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath },
        miniflare: {
          workers: [
            await auxiliaryWorker(aad, { vars: urls }),
            await auxiliaryWorker(imds, { vars: urls, serviceBindings: { AAD: { name: aad.name, entrypoint: "TokenEndpoint" } } }),
          ],
        },
      }),
    ],
    test: { name: "workers-arm", include: ["test/workers-arm/**/*.test.ts"], root: ROOT },
  };
});
