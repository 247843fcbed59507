// Injected faults (contract: "Operating the emulator", PUT {arm}/emulator/faults/{name}): what a
// fault is, how its definition is checked, and how it is shown. Resource Manager checks and
// forwards definitions; the service a fault is for (today only IMDS) keeps them in its
// EmulatorState, where a fault's remaining count is spent atomically, and applies them.

export const FAULT_SERVICES = ["imds"] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];
export const FAULT_STATUSES = [429, 410, 500, 503] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];

/** What PUT takes (and echoes, with the name). */
export interface FaultDefinition {
  name: string;
  service: FaultService;
  /** A resource id (a VM's, compared case-insensitively) or "*" for every one. */
  scope: string;
  /** The status matching requests answer; absent: they are only delayed (delayMs). */
  status?: FaultStatus;
  retryAfterSeconds?: number;
  delayMs?: number;
  /** How many matching requests the fault takes; absent: no limit. */
  count?: number;
  /** How long (emulator clock) the fault lasts from its PUT; absent: until deleted. */
  durationSeconds?: number;
}

/** A fault as GET {arm}/emulator/faults lists it: its definition and what is left of it. */
export interface ActiveFault extends FaultDefinition {
  /** Requests it still takes (only for faults with a count). */
  remainingCount?: number;
  /** When it ends, emulator clock (only for faults with a duration). */
  expiresOn?: string;
}

export const FAULT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;
const MAX_DELAY_MS = 120_000;
const MAX_RETRY_AFTER_SECONDS = 3_600;
const MAX_DURATION_SECONDS = 366 * 86_400;
const MAX_COUNT = 1_000_000;

/** The definition in `body`, or what is wrong with it (one sentence). */
export function parseFaultDefinition(name: string, body: Record<string, unknown>): FaultDefinition | string {
  if (!FAULT_NAME.test(name)) return `The fault name '${name}' is invalid: use 1-80 letters, digits, '.', '_' or '-', starting with a letter or digit.`;
  const known = ["service", "scope", "status", "retryAfterSeconds", "delayMs", "count", "durationSeconds"];
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length) return `Unknown fault properties: ${unknown.join(", ")}. Known: ${known.join(", ")}.`;
  if (!(FAULT_SERVICES as readonly unknown[]).includes(body.service)) return `'service' must be one of: ${FAULT_SERVICES.join(", ")}.`;
  if (typeof body.scope !== "string" || !(body.scope === "*" || /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+/i.test(body.scope))) {
    return "'scope' must be a resource id (/subscriptions/…/resourceGroups/…/providers/…) or '*'.";
  }
  if (body.status !== undefined && !(FAULT_STATUSES as readonly unknown[]).includes(body.status)) {
    return `'status' must be one of: ${FAULT_STATUSES.join(", ")}.`;
  }
  const whole = (key: string, min: number, max: number): string | null => {
    const value = body[key];
    if (value === undefined) return null;
    return Number.isInteger(value) && (value as number) >= min && (value as number) <= max ? null : `'${key}' must be a whole number from ${min} to ${max}.`;
  };
  const problem =
    whole("retryAfterSeconds", 0, MAX_RETRY_AFTER_SECONDS) ??
    whole("delayMs", 0, MAX_DELAY_MS) ??
    whole("count", 1, MAX_COUNT) ??
    whole("durationSeconds", 1, MAX_DURATION_SECONDS);
  if (problem) return problem;
  if (body.status === undefined && body.delayMs === undefined) return "A fault needs a 'status' to answer, a 'delayMs' to wait, or both.";
  if (body.status === undefined && body.retryAfterSeconds !== undefined) return "'retryAfterSeconds' needs a 'status'.";
  const definition: FaultDefinition = { name, service: body.service as FaultService, scope: body.scope };
  for (const key of ["status", "retryAfterSeconds", "delayMs", "count", "durationSeconds"] as const) {
    if (body[key] !== undefined) (definition as unknown as Record<string, unknown>)[key] = body[key];
  }
  return definition;
}

/** Whether a fault's scope covers the resource a request is for. */
export function faultScopeMatches(scope: string, resourceId: string): boolean {
  return scope === "*" || scope.replace(/\/+$/, "").toLowerCase() === resourceId.replace(/\/+$/, "").toLowerCase();
}
