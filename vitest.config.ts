import { defineConfig } from "vitest/config";

// Four projects. "e2e" (and unit): end-to-end files drive a local emulator (all workers, real
// sockets) over HTTP with the unmodified Azure SDKs: the run's shared one (test/support/shared-stack.ts,
// TestEmulator.shared()), or their own when they reset it, move its clock, restart it or change a knob; three files
// at a time on the 2-core target: with two, the cores idled while files waited on purpose (SDK
// retry policies, real token expiry), and the suite took 68 s instead of 53-56 s (only lower
// bounds on elapsed time are asserted, so contention cannot fail a test). The files share their
// processes (isolate: false): the Azure
// SDKs, Miniflare and the rest are loaded once per process instead of once per file (about 7 s
// of a run); no file changes process-wide state (environment, globals, mocks), and code that must
// start from a clean process (a VM's or a site's SDK client) runs in its own child process
// (test/support/vm-process.ts). "workers", "workers-imds" and "workers-arm": in-runtime tests with
// the Workers Vitest pool — the authority on its own (test/workers/), the identity endpoints with the
// authority as their auxiliary worker (test/workers-imds/), and Resource Manager with both as its
// auxiliary workers (test/workers-arm/).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/unit/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts", "test/support/shared-stack.ts"],
          pool: "forks",
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      "test/workers/vitest.config.ts",
      "test/workers-imds/vitest.config.ts",
      "test/workers-arm/vitest.config.ts",
    ],
    maxWorkers: 3,
  },
});
