// Resource Manager's side of the emulator clock (shared/emulator-clock.ts says what is guaranteed
// where): its EmulatorState holds the offset of record; moving the clock adds to it there, applies
// it to this isolate, and pushes it to every other worker before the POST answers.
import { applyClockOffset, clockOffsetSeconds, emulatorNow, syncClock } from "../../../../shared/emulator-clock";
import { EMULATOR_STATE_NAME, type EmulatorState } from "../../../../shared/emulator-state";
import { stubOf } from "../../../../shared/durable";
import { ArmError } from "../../../../shared/errors/arm";
import type { ArmEnv } from "../env";

export function emulatorState(env: ArmEnv) {
  return stubOf<EmulatorState>(env.EMULATOR, EMULATOR_STATE_NAME);
}

/** This isolate's copy of the offset, re-read from the store of record when stale (every request). */
export function syncArmClock(env: ArmEnv): Promise<void> {
  return syncClock(() => emulatorState(env).clockOffset());
}

export interface ClockView {
  now: string;
  offsetSeconds: number;
}

export async function readClock(env: ArmEnv): Promise<ClockView> {
  await syncArmClock(env);
  return { now: new Date(emulatorNow()).toISOString(), offsetSeconds: clockOffsetSeconds() };
}

/** Moves the clock forward by `seconds` (0 re-sends the current offset to every worker). */
export async function advanceClock(env: ArmEnv, seconds: number): Promise<ClockView> {
  const offset = await emulatorState(env).advanceClock(seconds);
  applyClockOffset(offset);
  try {
    // The authority first: Graph's isolates that were not pushed to read the authority's copy.
    await env.AAD.setClockOffset(offset);
    await Promise.all([env.IMDS.setClockOffset(offset), env.KEYVAULT.setClockOffset(offset), env.STORAGE.setClockOffset(offset), env.GRAPH?.setClockOffset(offset)]);
  } catch (err) {
    throw new ArmError(
      500,
      "InternalServerError",
      `The emulator clock moved to offset ${offset} s, but not every service took it (${err instanceof Error ? err.message : String(err)}). POST {"advanceSeconds": 0} to /emulator/clock to push it again.`,
    );
  }
  return { now: new Date(emulatorNow()).toISOString(), offsetSeconds: clockOffsetSeconds() };
}
