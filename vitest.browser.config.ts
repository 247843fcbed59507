import { defineConfig } from "vitest/config";

// The console in a real browser: Debian's chromium (apt package `chromium`, /usr/bin/chromium;
// knob MIE_CHROMIUM for another path) driven by playwright-core. Not part of `npm test` (it needs
// the browser installed); `.ci/run` installs chromium and runs it with `npm run test:browser`.
export default defineConfig({
  test: {
    name: "browser",
    include: ["test/browser/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
