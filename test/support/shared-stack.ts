// One emulator for the end-to-end files that need nothing of their own (global setup of the e2e
// project, after global-setup.ts made the test CA): started once per run in the main process and
// handed to the files through vitest's provide/inject (TestEmulator.shared()). Each file keeps to
// its own resource groups and unique global names; a file that resets the emulator, moves its
// clock, injects faults, restarts it, reads its log or runs it with other knobs starts its own
// (new TestEmulator(...)).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { DEFAULTS, isAddressInUse, pickFreePorts, startStack, type RunningStack } from "../../scripts/stack.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), "mie-shared-"));
  let stack: RunningStack | null = null;
  for (let attempt = 1; !stack; attempt++) {
    try {
      stack = await startStack({
        dataDir,
        tlsDir: process.env.MIE_TEST_TLS_DIR,
        host: "127.0.0.1",
        ports: await pickFreePorts("127.0.0.1"),
        adminClientSecret: DEFAULTS.adminClientSecret,
        log: process.env.MIE_TEST_LOG ? (line) => console.log(`[workerd shared] ${line}`) : undefined,
      });
    } catch (err) {
      if (!isAddressInUse(err) || attempt >= 5) throw err;
    }
  }
  project.provide("sharedEndpoints", stack.endpoints);
  return async () => {
    await stack!.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
