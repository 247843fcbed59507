// The authority's operating state (shared/emulator-state.ts): its copy of the emulator clock's
// offset, which Resource Manager pushes and Graph reads.
import { syncClock } from "../../../shared/emulator-clock";
import { EMULATOR_STATE_NAME, type EmulatorState } from "../../../shared/emulator-state";
import { stubOf } from "../../../shared/durable";
import type { AadEnv } from "./env";

export function emulatorState(env: AadEnv) {
  return stubOf<EmulatorState>(env.EMULATOR, EMULATOR_STATE_NAME);
}

/** This isolate's copy of the clock, re-read when stale: before anything that reads the time. */
export function syncAadClock(env: AadEnv): Promise<void> {
  return syncClock(() => emulatorState(env).clockOffset());
}
