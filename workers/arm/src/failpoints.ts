// A test-only fault seam for the steps Resource Manager's Durable Objects take across workers.
// Off unless the local server was started with `testFailpoints` (the var TEST_FAILPOINTS = "on",
// which no deployment sets): then `PUT {arm}/emulator/test-failpoints` (admin only) names steps
// that fail the next `count` times, so tests can prove every multi-step write converges after a
// failure at any step. With the seam off, `failpoint()` costs one string comparison.
import { stubOf } from "../../../shared/durable";
import { ArmErrors } from "../../../shared/errors/arm";
import type { ArmEnv } from "./env";
import type { ResourceObject } from "./providers/resources/resource-object";

/** The steps that can be made to fail (named where they are taken). */
export const FAILPOINT_STEPS = [
  "aad.createPrincipal",
  "aad.deletePrincipal",
  "imds.configureVm",
  "imds.clearVm",
  "imds.configureSite",
  "imds.clearSite",
  "arm.beforeCommit",
] as const;
export type FailpointStep = (typeof FAILPOINT_STEPS)[number];

const KEY = "emulator:test-failpoints";

export function failpointsEnabled(env: ArmEnv): boolean {
  return env.TEST_FAILPOINTS === "on";
}

function store(env: ArmEnv) {
  return stubOf<ResourceObject>(env.RESOURCES, KEY);
}

/** The body of `PUT /emulator/test-failpoints`: `{step: count}` for known steps, whole counts. */
export function parseFailpointCounts(body: Record<string, unknown>): Partial<Record<FailpointStep, number>> {
  const counts: Partial<Record<FailpointStep, number>> = {};
  for (const [step, count] of Object.entries(body)) {
    if (!(FAILPOINT_STEPS as readonly string[]).includes(step)) throw ArmErrors.invalidParameter(`Unknown failpoint '${step}'. Known: ${FAILPOINT_STEPS.join(", ")}.`);
    if (!Number.isInteger(count) || (count as number) < 0) throw ArmErrors.invalidParameter(`The count of failpoint '${step}' must be a whole number.`);
    counts[step as FailpointStep] = count as number;
  }
  return counts;
}

/** Arms failures: each named step fails its next `count` times. */
export async function setFailpoints(env: ArmEnv, counts: Partial<Record<FailpointStep, number>>): Promise<void> {
  await store(env).write({ id: KEY, name: KEY, type: "emulator/testFailpoints", counts });
}

/** Throws at a step armed to fail (and counts it down); does nothing with the seam off. */
export async function failpoint(env: ArmEnv, step: FailpointStep): Promise<void> {
  if (!failpointsEnabled(env)) return;
  const object = store(env);
  const doc = await object.read();
  const counts = (doc?.counts ?? {}) as Record<string, number>;
  if (!counts[step]) return;
  counts[step] -= 1;
  await object.write({ id: KEY, name: KEY, type: "emulator/testFailpoints", counts });
  throw new Error(`injected failure at step '${step}' (test failpoint)`);
}
