import { defineConfig } from "vitest/config";

// End-to-end files each start one local emulator (all workers, real sockets) in beforeAll and
// drive it over HTTP with the unmodified Azure SDKs. Two files at a time fit the 2-core target.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
