import { defineConfig } from "vitest/config";

// The edge rehearsal: the deployment's own artifacts (`npm run deploy -- --dry-run` for a
// workers.dev subdomain) run with `wrangler dev`, one process per worker as on Cloudflare, behind
// an HTTPS front on 127.0.0.1:443 that routes workers.dev host names; the system-assigned flow runs
// against them with the unmodified SDKs. Not part of `npm test` (it binds port 443: root, or
// CAP_NET_BIND_SERVICE); `.ci/run` runs it with `npm run test:edge`.
export default defineConfig({
  test: {
    name: "edge",
    include: ["test/edge/**/*.test.ts"],
    globalSetup: ["test/edge/global-setup.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
