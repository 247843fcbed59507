// Faults injected into IMDS's token requests (PUT {arm}/emulator/faults/{name}, shared/faults.ts),
// and IMDS's per-VM rate limits (knob MIE_IMDS_THROTTLING). The faults live in IMDS's
// EmulatorState, where each matching request spends one of a fault's count; each isolate keeps
// only "how many are active", pushed by Resource Manager and re-read at most once a second, so
// that with no fault active a token request costs nothing extra.
import { reportFlow, type WaitUntil } from "../../../shared/flow";
import { emulatorNow } from "../../../shared/emulator-clock";
import { EMULATOR_STATE_NAME, type EmulatorState } from "../../../shared/emulator-state";
import { stubOf } from "../../../shared/durable";
import type { FaultDefinition } from "../../../shared/faults";
import type { ImdsEnv } from "./env";

const REFRESH_MS = 1_000;
const active = { count: 0, checkedAt: Number.NEGATIVE_INFINITY };

export function imdsState(env: ImdsEnv) {
  return stubOf<EmulatorState>(env.EMULATOR, EMULATOR_STATE_NAME);
}

/** Resource Manager changed the faults (or they were re-read): how many are active now. */
export function noteActiveFaults(count: number): void {
  active.count = count;
  active.checkedAt = Date.now();
}

async function faultsMayApply(env: ImdsEnv): Promise<boolean> {
  if (Date.now() - active.checkedAt >= REFRESH_MS) noteActiveFaults(await imdsState(env).activeFaults(emulatorNow()));
  return active.count > 0;
}

/**
 * The fault a token request of the VM `vmResourceId()` names meets, if any (one of its count is
 * spent). A delay is waited here; a fault with a status is returned for the caller to answer.
 */
export async function faultFor(
  env: ImdsEnv,
  vmResourceId: () => Promise<string | null>,
  report?: { keeper: WaitUntil; endpoint: "imds" | "appservice" },
): Promise<FaultDefinition | null> {
  if (!(await faultsMayApply(env))) return null;
  const resourceId = await vmResourceId();
  if (!resourceId) return null;
  const { fault, active: remaining } = await imdsState(env).claimFault(resourceId, emulatorNow());
  noteActiveFaults(remaining);
  if (!fault) return null;
  if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  // Step 5 of the console's flow: the injected fault, as the hosted code meets it.
  if (report) {
    reportFlow(env, report.keeper, { step: 5, kind: fault.status ? "token-refused" : "token-requested", service: "imds" }, () => ({
      resourceId,
      summary: fault.status
        ? `injected fault '${fault.name}': ${report.endpoint === "imds" ? "IMDS" : "App Service's identity endpoint"} answers ${fault.status}${fault.retryAfterSeconds !== undefined ? ` (Retry-After ${fault.retryAfterSeconds} s)` : ""} on ${resourceId}`
        : `injected fault '${fault.name}': the token request on ${resourceId} waited ${fault.delayMs} ms`,
      detail: { endpoint: report.endpoint, fault },
    }));
  }
  return fault.status ? fault : null;
}

/** IMDS's flat error body for a fault's status, with Retry-After when the fault gives one. */
export function faultResponse(fault: FaultDefinition): Response {
  const body = FAULT_BODIES[fault.status!]!;
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", server: "IMDS/150.870.65.1544" };
  if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
  return new Response(JSON.stringify({ error: body.error, error_description: `${body.description} (emulator fault '${fault.name}')` }), {
    status: fault.status!,
    headers,
  });
}

/** Error codes from IMDS's IdentityErrorResponse; descriptions after Azure's docs. */
const FAULT_BODIES: Record<number, { error: string; description: string }> = {
  429: { error: "too_many_requests", description: "Too many requests. Retry after the interval the Retry-After header names." },
  410: { error: "service_unavailable", description: "The metadata service is being updated and is available again within 70 seconds." },
  500: { error: "unknown", description: "Failed to retrieve token from the Active directory." },
  503: { error: "service_unavailable", description: "The metadata service is temporarily unavailable." },
};

/** Azure's limits for the managed-identity category of IMDS, per VM. */
export const THROTTLE_RATE_PER_SECOND = 20;
export const THROTTLE_CONCURRENCY = 5;

export function throttlingOn(env: ImdsEnv): boolean {
  return (env.IMDS_THROTTLING ?? "off").toLowerCase() === "on";
}

/**
 * One VM's rate window (real time: limits are physical, not emulated): at most
 * THROTTLE_RATE_PER_SECOND requests accepted in any second, THROTTLE_CONCURRENCY at once.
 */
export class VmThrottle {
  private readonly accepted: number[] = [];
  private inFlight = 0;

  /** Admits a request (call `release` when it is done), or null when it is over a limit. */
  admit(): { release(): void } | null {
    const now = Date.now();
    while (this.accepted.length && this.accepted[0]! <= now - 1000) this.accepted.shift();
    if (this.inFlight >= THROTTLE_CONCURRENCY || this.accepted.length >= THROTTLE_RATE_PER_SECOND) return null;
    this.accepted.push(now);
    this.inFlight++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
      },
    };
  }
}
