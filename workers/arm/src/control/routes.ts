// The emulator's control API on Resource Manager (contract: "Operating the emulator"), for the
// seeded admin only: a bearer token of anyone else is 403 AuthorizationFailed, no token 401, as
// Resource Manager answers them. Not a resource provider: these paths are the emulator's own.
//   POST   /emulator/reset              → 204 (reset.ts)
//   GET    /emulator/clock              → {"now", "offsetSeconds"}
//   POST   /emulator/clock              {"advanceSeconds": n ≥ 0} → the same (clock.ts)
//   GET    /emulator/faults             → {"value": [fault…]}
//   PUT    /emulator/faults/{name}      fault → 200 the fault (shared/faults.ts)
//   GET    /emulator/faults/{name}      → 200 the fault, 404 when there is none (or it is spent)
//   DELETE /emulator/faults/{name}      → 204
import { Hono, type Context } from "hono";
import { ArmError, ArmErrors } from "../../../../shared/errors/arm";
import { parseFaultDefinition, type ActiveFault } from "../../../../shared/faults";
import { noteCaller } from "../../../../shared/request-log";
import { adminObjectId } from "../../../../shared/seed";
import { armJson } from "../arm-request";
import { authenticate, type Caller } from "../authentication";
import { logDenial } from "../authorization";
import type { ArmEnv } from "../env";
import { failpointsEnabled, parseFailpointCounts, setFailpoints } from "../failpoints";
import { readJsonObject } from "../request-body";
import { advanceClock, readClock } from "./clock";
import { resetEmulator } from "./reset";

type ControlContext = Context<{ Bindings: ArmEnv }>;

/** The longest single step of the clock: a century, so every date stays printable. */
const MAX_ADVANCE_SECONDS = 100 * 366 * 86_400;

export const controlRoutes = new Hono<{ Bindings: ArmEnv }>();

/** The caller, if it is the seeded admin; else ARM's 401 (no or a bad token) or 403. */
async function requireAdmin(c: ControlContext, action: string): Promise<Caller> {
  const caller = await authenticate(c.env, c.req.header("authorization"));
  noteCaller(c.req.raw, { objectId: caller.objectId, appId: caller.appId });
  const admin = await adminObjectId(c.env.TENANT_ID.toLowerCase(), c.env.ADMIN_CLIENT_ID.toLowerCase());
  if (caller.objectId.toLowerCase() !== admin) {
    const scope = "/emulator";
    logDenial(c.env, caller, action, scope, "the control API is for the seeded admin only");
    throw ArmErrors.authorizationFailed(caller.appId, caller.objectId, action, scope);
  }
  noteCaller(c.req.raw, { name: "mie-admin" });
  return caller;
}

const ACTIONS = {
  reset: "Microsoft.Resources/emulator/reset/action",
  clockRead: "Microsoft.Resources/emulator/clock/read",
  clockWrite: "Microsoft.Resources/emulator/clock/write",
  faultsRead: "Microsoft.Resources/emulator/faults/read",
  faultsWrite: "Microsoft.Resources/emulator/faults/write",
  faultsDelete: "Microsoft.Resources/emulator/faults/delete",
};

/** Test-only fault seam (failpoints.ts): not served unless the server was started for tests with it. */
controlRoutes.put("/test-failpoints", async (c) => {
  if (!failpointsEnabled(c.env)) {
    await authenticate(c.env, c.req.header("authorization"));
    throw new ArmError(404, "NotFound", "The requested path '/emulator/test-failpoints' is not served by this Resource Manager.");
  }
  await requireAdmin(c, "Microsoft.Resources/emulator/testFailpoints/action");
  await setFailpoints(c.env, parseFailpointCounts(await readJsonObject(c.req.raw)));
  return new Response(null, { status: 204 });
});

controlRoutes.all("/reset", async (c) => {
  if (c.req.method !== "POST") throw ArmErrors.methodNotAllowed(c.req.method);
  await requireAdmin(c, ACTIONS.reset);
  await resetEmulator(c.env);
  return new Response(null, { status: 204 });
});

controlRoutes.all("/clock", async (c) => {
  if (c.req.method === "GET") {
    await requireAdmin(c, ACTIONS.clockRead);
    return armJson(await readClock(c.env));
  }
  if (c.req.method !== "POST") throw ArmErrors.methodNotAllowed(c.req.method);
  await requireAdmin(c, ACTIONS.clockWrite);
  const body = await readJsonObject(c.req.raw);
  const seconds = body.advanceSeconds;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_ADVANCE_SECONDS) {
    throw ArmErrors.invalidParameter(
      `'advanceSeconds' must be a number of seconds from 0 to ${MAX_ADVANCE_SECONDS}: the emulator clock only moves forward.`,
    );
  }
  return armJson(await advanceClock(c.env, seconds));
});

controlRoutes.all("/faults", async (c) => {
  if (c.req.method !== "GET") throw ArmErrors.methodNotAllowed(c.req.method);
  await requireAdmin(c, ACTIONS.faultsRead);
  return armJson({ value: await c.env.IMDS.listFaults() });
});

controlRoutes.all("/faults/:name", async (c) => {
  const name = c.req.param("name");
  switch (c.req.method) {
    case "PUT": {
      await requireAdmin(c, ACTIONS.faultsWrite);
      const definition = parseFaultDefinition(name, await readJsonObject(c.req.raw));
      if (typeof definition === "string") throw ArmErrors.invalidParameter(definition, "InvalidFault");
      const active = await c.env.IMDS.putFault(definition);
      return armJson(echo(active));
    }
    case "GET": {
      await requireAdmin(c, ACTIONS.faultsRead);
      const fault = (await c.env.IMDS.listFaults()).find((f) => f.name === name);
      if (!fault) throw faultNotFound(name);
      return armJson(fault);
    }
    case "DELETE": {
      await requireAdmin(c, ACTIONS.faultsDelete);
      await c.env.IMDS.deleteFault(name);
      return new Response(null, { status: 204 });
    }
    default:
      throw ArmErrors.methodNotAllowed(c.req.method);
  }
});

/** PUT answers the fault as it was put (what is left of it is GET's business). */
function echo(fault: ActiveFault): ActiveFault {
  const { remainingCount: _remaining, expiresOn: _expires, ...definition } = fault;
  return definition;
}

function faultNotFound(name: string): ArmError {
  return new ArmError(404, "FaultNotFound", `The fault '${name}' does not exist (or its count or duration is spent).`);
}
