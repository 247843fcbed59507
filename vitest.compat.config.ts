import { defineConfig } from "vitest/config";

// The compatibility suites: the real Azure CLI and Python's Azure SDK (Debian 13's packages, run
// through chroot from the root scripts/az/build-root.sh builds) against an emulator each file
// starts. Not part of `npm test` (they need root and a 2 GB root file system); `.ci/run` builds
// the root and runs them with `npm run test:compat`. Files run one at a time: az is CPU-heavy.
export default defineConfig({
  test: {
    name: "compat",
    include: ["test/compat/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
