import { defineConfig } from "vitest/config";

// Two projects. "e2e" (and unit): each end-to-end file starts one local emulator (all workers,
// real sockets) in beforeAll and drives it over HTTP with the unmodified Azure SDKs; two files at
// a time fit the 2-core target. "workers": in-runtime tests of one worker with the Workers Vitest
// plugin (test/workers/vitest.config.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/unit/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          pool: "forks",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      "test/workers/vitest.config.ts",
    ],
    maxWorkers: 2,
  },
});
