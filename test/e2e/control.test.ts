// The emulator's control API on Resource Manager (contract: "Operating the emulator"): admin only;
// injected IMDS faults met by the unmodified ManagedIdentityCredential (@azure/identity) as the
// reference says it meets them; the one emulator clock expiring tokens, IMDS's cache and Key
// Vault's deleted secrets; reset; and IMDS's per-VM throttling (MIE_IMDS_THROTTLING).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ARM_API, TestEmulator, decodeJwt, imds } from "../support/emulator.ts";
import { tokenFromVm } from "../support/vm-process.ts";

const emulator = new TestEmulator();
const ARM_SCOPE = "https://management.azure.com/.default";
const VAULT_SCOPE = "https://vault.azure.net/.default";
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const AUTHZ_API = "2022-04-01";
const MSI_API = "2024-11-30";
const KV_API = "2024-11-01";
const RESOURCES_API = "2024-11-01";
const ROLES = {
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  secretsOfficer: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
};
const RG = "ops-rg";

interface Vm {
  id: string;
  principalId: string;
  endpoint: string;
}
let vmA: Vm;
let vmB: Vm;
/** A Resource Manager token of vmA's identity (Reader on the group): a caller who is not the admin. */
let vmToken: string;

const tokenUrl = (vm: Vm, resource = "https://management.azure.com/") =>
  `${vm.endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${resource}`;

async function makeVm(name: string): Promise<Vm> {
  const doc = await emulator.createVm(RG, name, { type: "SystemAssigned" });
  return { id: doc.id, principalId: doc.identity.principalId, endpoint: await emulator.imdsEndpoint(RG, name) };
}

const grant = (scope: string, role: string, principalId: string) => emulator.grant(scope, role, principalId);

function putFault(name: string, body: Record<string, unknown>, token?: string | null) {
  return emulator.arm("PUT", `/emulator/faults/${name}`, body, token);
}

async function activeFaults(): Promise<any[]> {
  const r = await emulator.arm("GET", "/emulator/faults");
  expect(r.status).toBe(200);
  return r.body.value;
}

async function clock(): Promise<{ now: string; offsetSeconds: number }> {
  const r = await emulator.arm("GET", "/emulator/clock");
  expect(r.status).toBe(200);
  return r.body;
}

/** Moves the emulator clock; the cached admin token of the harness may have expired with it. */
async function advance(seconds: number): Promise<{ now: string; offsetSeconds: number }> {
  const r = await emulator.arm("POST", "/emulator/clock", { advanceSeconds: seconds });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  emulator.forgetAdminToken();
  return r.body;
}

/** The emulator's time in epoch seconds, as this process estimates it from the offset. */
async function emulatorSeconds(): Promise<number> {
  return Math.floor(Date.now() / 1000 + (await clock()).offsetSeconds);
}

beforeAll(async () => {
  await emulator.start();
  await emulator.createResourceGroup(RG);
  vmA = await makeVm("ops-a");
  vmB = await makeVm("ops-b");
  await grant(emulator.rgPath(RG).split("?")[0]!, ROLES.reader, vmA.principalId);
  const t = await imds(tokenUrl(vmA));
  expect(t.status, JSON.stringify(t.body)).toBe(200);
  vmToken = t.body.access_token;
});
afterAll(() => emulator.dispose());

const CONTROL_CALLS: [string, string, unknown?][] = [
  ["POST", "/emulator/reset"],
  ["GET", "/emulator/clock"],
  ["POST", "/emulator/clock", { advanceSeconds: 3600 }],
  ["GET", "/emulator/faults"],
  ["PUT", "/emulator/faults/denied", { service: "imds", scope: "*", status: 503 }],
  ["GET", "/emulator/faults/denied"],
  ["DELETE", "/emulator/faults/denied"],
];

describe("the control API is the admin's", () => {
  it("without a token: 401 with Resource Manager's challenge", async () => {
    for (const [method, path, body] of CONTROL_CALLS) {
      const r = await emulator.arm(method, path, body, null);
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.body.error.code).toBe("AuthenticationFailed");
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer authorization_uri="https:\/\/.+", error="invalid_token"/);
    }
  });

  it("with anyone else's token: 403 AuthorizationFailed, and nothing changes", async () => {
    const before = await clock();
    for (const [method, path, body] of CONTROL_CALLS) {
      const r = await emulator.arm(method, path, body, vmToken);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe("AuthorizationFailed");
      expect(r.body.error.message).toContain(`with object id '${vmA.principalId}'`);
    }
    expect((await clock()).offsetSeconds).toBe(before.offsetSeconds);
    expect(await activeFaults()).toEqual([]);
    expect((await emulator.arm("GET", emulator.rgPath(RG))).status).toBe(200);
  });

  it("bad input is 400 in Resource Manager's shape; other methods 405", async () => {
    for (const body of [{ advanceSeconds: -1 }, {}, { advanceSeconds: "60" }, { advanceSeconds: Number.MAX_SAFE_INTEGER }]) {
      const r = await emulator.arm("POST", "/emulator/clock", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("InvalidParameter");
      expect(r.body.error.message).toContain("advanceSeconds");
    }
    const malformed = await emulator.arm("POST", "/emulator/clock", "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("InvalidRequestContent");
    for (const body of [
      { service: "imds", scope: "*", status: 404 },
      { service: "arm", scope: "*", status: 503 },
      { service: "imds", scope: "vm-a", status: 503 },
      { service: "imds", scope: "*" },
      { service: "imds", scope: "*", status: 429, count: 0 },
      { service: "imds", scope: "*", status: 429, retryAfterSeconds: -1 },
      { service: "imds", scope: "*", status: 429, colour: "red" },
    ]) {
      const r = await putFault("bad", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("InvalidFault");
    }
    expect((await putFault("not a name", { service: "imds", scope: "*", status: 503 })).status).toBe(400);
    expect((await emulator.arm("GET", "/emulator/reset")).status).toBe(405);
    expect((await emulator.arm("PATCH", "/emulator/clock", {})).status).toBe(405);
    expect(await activeFaults()).toEqual([]);
  });
});

describe("faults", () => {
  afterEach(async () => {
    for (const fault of await activeFaults()) await emulator.arm("DELETE", `/emulator/faults/${fault.name}`);
  });

  it("PUT echoes the fault; GET lists it with what is left; DELETE removes it", async () => {
    const body = { service: "imds", scope: vmA.id, status: 503, retryAfterSeconds: 2, count: 3, durationSeconds: 600 };
    const put = await putFault("maintenance", body);
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ name: "maintenance", ...body });
    const [listed] = await activeFaults();
    expect(listed).toMatchObject({ name: "maintenance", ...body, remainingCount: 3 });
    expect(Date.parse(listed.expiresOn)).toBeGreaterThan(Date.parse((await clock()).now));
    expect((await emulator.arm("GET", "/emulator/faults/maintenance")).body).toEqual(listed);
    expect((await emulator.arm("DELETE", "/emulator/faults/maintenance")).status).toBe(204);
    expect(await activeFaults()).toEqual([]);
    expect((await emulator.arm("GET", "/emulator/faults/maintenance")).status).toBe(404);
    expect((await emulator.arm("DELETE", "/emulator/faults/maintenance")).status).toBe(204);
    expect((await imds(tokenUrl(vmA))).status).toBe(200);
  });

  it("matching token requests answer the status with IMDS's error body, Retry-After when given; count spends one per request", async () => {
    await putFault("two-500s", { service: "imds", scope: vmA.id, status: 500, count: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await imds(tokenUrl(vmA));
      expect(r.status).toBe(500);
      expect(r.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(r.headers.get("retry-after")).toBeNull();
      expect(Object.keys(r.body).sort()).toEqual(["error", "error_description"]);
      expect(r.body.error).toBe("unknown");
    }
    expect((await imds(tokenUrl(vmA))).status).toBe(200);
    expect(await activeFaults()).toEqual([]);

    await putFault("throttled", { service: "imds", scope: vmA.id, status: 429, retryAfterSeconds: 7, count: 1 });
    const throttled = await imds(tokenUrl(vmA));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("7");
    expect(throttled.body.error).toBe("too_many_requests");
    expect(throttled.body.error_description).toContain("'throttled'");
  });

  it("a fault is for token requests: the instance metadata and the Metadata-less probe are left alone", async () => {
    await putFault("tokens-only", { service: "imds", scope: "*", status: 503, count: 1 });
    expect((await imds(`${vmA.endpoint}/metadata/instance?api-version=2021-02-01`)).status).toBe(200);
    const probe = await imds(`${vmA.endpoint}/metadata/identity/oauth2/token`, {});
    expect(probe.status).toBe(400);
    expect(probe.body.error_description).toBe("Required metadata header not specified");
    expect(await activeFaults()).toHaveLength(1);
    expect((await imds(tokenUrl(vmA))).status).toBe(503);
  });

  it("scope: one VM's fault leaves the other VM alone; '*' reaches every VM", async () => {
    await putFault("only-a", { service: "imds", scope: vmA.id.toUpperCase(), status: 503 });
    expect((await imds(tokenUrl(vmA))).status).toBe(503);
    expect((await imds(tokenUrl(vmB))).status).toBe(200);
    expect((await imds(tokenUrl(vmA))).status).toBe(503);
    await emulator.arm("DELETE", "/emulator/faults/only-a");
    await putFault("everyone", { service: "imds", scope: "*", status: 503 });
    expect((await imds(tokenUrl(vmA))).status).toBe(503);
    expect((await imds(tokenUrl(vmB))).status).toBe(503);
    await emulator.arm("DELETE", "/emulator/faults/everyone");
    expect((await imds(tokenUrl(vmB))).status).toBe(200);
  });

  it("a 429 with Retry-After, then success: ManagedIdentityCredential waits as told and retries", async () => {
    await putFault("busy", { service: "imds", scope: vmA.id, status: 429, retryAfterSeconds: 1, count: 2 });
    const started = Date.now();
    const result = await tokenFromVm(vmA.endpoint, "managed-identity-credential", ARM_SCOPE);
    expect(result.error).toBeUndefined();
    expect(decodeJwt(result.token!).payload.oid).toBe(vmA.principalId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(await activeFaults()).toEqual([]);
  });

  it("a 429 without Retry-After is not retried (the credential fails); the next request succeeds", async () => {
    await putFault("busy-no-hint", { service: "imds", scope: vmA.id, status: 429, count: 1 });
    const failed = await tokenFromVm(vmA.endpoint, "managed-identity-credential", ARM_SCOPE);
    expect(failed.token).toBeUndefined();
    expect(failed.name).toBe("CredentialUnavailableError");
    expect(await activeFaults()).toEqual([]);
    const next = await tokenFromVm(vmA.endpoint, "managed-identity-credential", ARM_SCOPE);
    expect(next.error).toBeUndefined();
  });

  it("a 503 with Retry-After, then success; a 503 or 500 without it is retried with backoff", async () => {
    await putFault("unavailable", { service: "imds", scope: vmA.id, status: 503, retryAfterSeconds: 1, count: 1 });
    const started = Date.now();
    const hinted = await tokenFromVm(vmA.endpoint, "managed-identity-credential", ARM_SCOPE);
    expect(hinted.error).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(await activeFaults()).toEqual([]);

    for (const status of [503, 500]) {
      await putFault(`unhinted-${status}`, { service: "imds", scope: vmA.id, status, count: 1 });
      const result = await tokenFromVm(vmA.endpoint, "managed-identity-credential", ARM_SCOPE);
      expect(result.error, String(status)).toBeUndefined();
      expect(await activeFaults()).toEqual([]);
    }
  });

  it("a 410 is retried by @azure/identity's IMDS retry policy, 1.5-3 s later (3 s less up to half as jitter)", async () => {
    await putFault("updating", { service: "imds", scope: vmA.id, status: 410, count: 1 });
    const started = Date.now();
    const result = await tokenFromVm(vmA.endpoint, "managed-identity-credential", ARM_SCOPE);
    expect(result.error).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(await activeFaults()).toEqual([]);
  });

  it("a delay fault without a status delays the answer, which is then the usual one", async () => {
    await putFault("slow", { service: "imds", scope: vmB.id, delayMs: 400, count: 1 });
    const started = Date.now();
    const r = await imds(tokenUrl(vmB));
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(r.status).toBe(200);
    expect(await activeFaults()).toEqual([]);
  });

  it("a fault with a duration ends when the emulator clock passes it", async () => {
    await putFault("window", { service: "imds", scope: vmB.id, status: 503, durationSeconds: 120 });
    expect((await imds(tokenUrl(vmB))).status).toBe(503);
    expect((await imds(tokenUrl(vmB))).status).toBe(503);
    await advance(121);
    expect((await imds(tokenUrl(vmB))).status).toBe(200);
    expect(await activeFaults()).toEqual([]);
  });
});

describe("clock", () => {
  it("GET answers the emulator's now and its offset from real time", async () => {
    const c = await clock();
    expect(Object.keys(c).sort()).toEqual(["now", "offsetSeconds"]);
    expect(c.now).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(c.now) - (Date.now() + c.offsetSeconds * 1000))).toBeLessThan(60_000);
  });

  it("a token from ManagedIdentityCredential expires when the clock passes it: ExpiredAuthenticationToken, then IMDS issues a new one", async () => {
    const first = await tokenFromVm(vmA.endpoint, "managed-identity-credential", ARM_SCOPE);
    expect(first.error).toBeUndefined();
    expect((await emulator.arm("GET", emulator.rgPath(RG), undefined, first.token)).status).toBe(200);
    const { exp } = decodeJwt(first.token!).payload;

    const before = await clock();
    const step = exp - (await emulatorSeconds()) + 60;
    const after = await advance(step);
    expect(after.offsetSeconds).toBe(before.offsetSeconds + step);
    expect(Date.parse(after.now) / 1000).toBeGreaterThan(exp);

    const refused = await emulator.arm("GET", emulator.rgPath(RG), undefined, first.token);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("ExpiredAuthenticationToken");

    // A new process, as a restarted app would be: msal-node's token cache lives in the process.
    const second = await tokenFromVm(vmA.endpoint, "managed-identity-credential", ARM_SCOPE);
    expect(second.error).toBeUndefined();
    expect(second.token).not.toBe(first.token);
    expect(decodeJwt(second.token!).payload.iat).toBeGreaterThanOrEqual(exp);
    expect((await emulator.arm("GET", emulator.rgPath(RG), undefined, second.token)).status).toBe(200);
  });

  it("the authority stamps tokens with the emulator's time; Graph and Key Vault refuse tokens it has passed", async () => {
    const graphToken = (await emulator.adminCredential().getToken(GRAPH_SCOPE)).token;
    expect(Math.abs(decodeJwt(graphToken).payload.iat - (await emulatorSeconds()))).toBeLessThan(60);
    expect((await emulator.graph("GET", "/v1.0/servicePrincipals?$top=1", undefined, graphToken)).status).toBe(200);
    const vaultToken = (await imds(tokenUrl(vmA, "https://vault.azure.net"))).body.access_token;
    await advance(2 * 86_400);
    expect((await emulator.graph("GET", "/v1.0/servicePrincipals?$top=1", undefined, graphToken)).status).toBe(401);

    const vault = await emulator.arm("PUT", `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/ops-clock-kv?api-version=${KV_API}`, {
      location: "westus",
      properties: { tenantId: emulator.endpoints.tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
    });
    expect(vault.status, JSON.stringify(vault.body)).toBe(201);
    const stale = await fetch(`${vault.body.properties.vaultUri}secrets?api-version=7.4`, { headers: { authorization: `Bearer ${vaultToken}` } });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as any).error.message).toContain("TokenExpired");
  });

  it("Key Vault's soft-delete dates follow the clock: a deleted secret is purged once the clock passes its purge date", async () => {
    const vault = await emulator.arm("PUT", `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/ops-purge-kv?api-version=${KV_API}`, {
      location: "westus",
      properties: { tenantId: emulator.endpoints.tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true, softDeleteRetentionInDays: 7 },
    });
    expect(vault.status, JSON.stringify(vault.body)).toBe(201);
    await grant(vault.body.id, ROLES.secretsOfficer, emulator.endpoints.admin.objectId);
    const vaultUri: string = vault.body.properties.vaultUri;
    const call = async (method: string, path: string, body?: unknown) => {
      const token = (await emulator.adminCredential().getToken(VAULT_SCOPE)).token;
      const r = await fetch(`${vaultUri}${path}?api-version=7.4`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: r.status, body: (await r.json()) as any };
    };
    expect((await call("PUT", "secrets/greeting", { value: "hello" })).status).toBe(200);
    const deleted = await call("DELETE", "secrets/greeting");
    expect(deleted.status).toBe(200);
    expect(Math.abs(deleted.body.deletedDate - (await emulatorSeconds()))).toBeLessThan(60);
    expect(deleted.body.scheduledPurgeDate - deleted.body.deletedDate).toBe(7 * 86_400);

    await advance(6 * 86_400);
    expect((await call("GET", "deletedsecrets/greeting")).status).toBe(200);
    await advance(86_400 + 60);
    const purged = await call("GET", "deletedsecrets/greeting");
    expect(purged.status).toBe(404);
    expect(purged.body.error.code).toMatch(/NotFound$/);
  });

  it("advancing by 0 keeps the clock where it is (and pushes it again); it never moves back", async () => {
    const before = await clock();
    const same = await advance(0);
    expect(same.offsetSeconds).toBe(before.offsetSeconds);
    expect(Date.parse(same.now)).toBeGreaterThanOrEqual(Date.parse(before.now));
  });
});

describe("IMDS throttling", () => {
  /** 60 token requests at once; answers by status. */
  async function burst(vm: Vm): Promise<Map<number, any[]>> {
    const answers = await Promise.all(Array.from({ length: 60 }, () => imds(tokenUrl(vm))));
    const byStatus = new Map<number, any[]>();
    for (const a of answers) byStatus.set(a.status, [...(byStatus.get(a.status) ?? []), a.body]);
    return byStatus;
  }

  it("is off by default: a burst of token requests is answered", async () => {
    await imds(tokenUrl(vmB));
    const byStatus = await burst(vmB);
    expect([...byStatus.keys()]).toEqual([200]);
  });

  describe("with MIE_IMDS_THROTTLING=on", () => {
    const throttled = new TestEmulator({ imdsThrottling: "on" });
    afterAll(() => throttled.dispose());

    it("answers 429 too_many_requests past 20 requests a second or 5 at once per VM, other VMs unaffected", async () => {
      await throttled.start();
      await throttled.createResourceGroup("thr-rg");
      const vms: Vm[] = [];
      for (const name of ["thr-a", "thr-b"]) {
        const doc = await throttled.createVm("thr-rg", name, { type: "SystemAssigned" });
        vms.push({ id: doc.id, principalId: doc.identity.principalId, endpoint: await throttled.imdsEndpoint("thr-rg", name) });
      }
      expect((await imds(tokenUrl(vms[0]!))).status).toBe(200);
      const byStatus = await burst(vms[0]!);
      expect([...byStatus.keys()].sort()).toEqual([200, 429]);
      for (const body of byStatus.get(429)!) expect(body.error).toBe("too_many_requests");
      // The other VM has its own limits.
      expect((await imds(tokenUrl(vms[1]!))).status).toBe(200);
      // A second later the window has room again.
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await imds(tokenUrl(vms[0]!))).status).toBe(200);
    });
  });
});

describe("reset", () => {
  it("removes every resource, principal, role assignment, secret, vault and deployment; the admin, its keys, its old tokens and the clock stay", async () => {
    const sub = emulator.subscriptionPath;
    await emulator.createResourceGroup("reset-rg");
    const vm = await emulator.createVm("reset-rg", "reset-vm", { type: "SystemAssigned" });
    const vmEndpoint = await emulator.imdsEndpoint("reset-rg", "reset-vm");
    const uami = await emulator.arm("PUT", `${sub}/resourceGroups/reset-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/reset-id?api-version=${MSI_API}`, { location: "westus" });
    expect(uami.status).toBe(201);
    await grant(`${sub}/resourceGroups/reset-rg`, ROLES.reader, uami.body.properties.principalId);
    const vault = await emulator.arm("PUT", `${sub}/resourceGroups/reset-rg/providers/Microsoft.KeyVault/vaults/ops-reset-kv?api-version=${KV_API}`, {
      location: "westus",
      properties: { tenantId: emulator.endpoints.tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
    });
    expect(vault.status).toBe(201);
    await grant(vault.body.id, ROLES.secretsOfficer, emulator.endpoints.admin.objectId);
    const vaultToken = (await emulator.adminCredential().getToken(VAULT_SCOPE)).token;
    const secretUrl = `${vault.body.properties.vaultUri}secrets/kept?api-version=7.4`;
    const put = await fetch(secretUrl, { method: "PUT", headers: { authorization: `Bearer ${vaultToken}`, "content-type": "application/json" }, body: JSON.stringify({ value: "v" }) });
    expect(put.status).toBe(200);
    const deployment = await emulator.arm("PUT", `${sub}/resourcegroups/reset-rg/providers/Microsoft.Resources/deployments/reset-dep?api-version=${RESOURCES_API}`, {
      properties: { mode: "Incremental", template: { $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", contentVersion: "1.0.0.0", resources: [] } },
    });
    expect(deployment.status, JSON.stringify(deployment.body)).toBe(201);
    const graphToken = (await emulator.adminCredential().getToken(GRAPH_SCOPE)).token;
    const app = await emulator.graph("POST", "/v1.0/applications", { displayName: "reset-app" }, graphToken);
    expect(app.status).toBe(201);
    const appPrincipal = await emulator.graph("POST", "/v1.0/servicePrincipals", { appId: app.body.appId }, graphToken);
    expect(appPrincipal.status).toBe(201);
    await putFault("left-over", { service: "imds", scope: "*", status: 503 });

    const adminToken = (await emulator.adminCredential().getToken(ARM_SCOPE)).token;
    const e = emulator.endpoints;
    const jwks = async () => (await (await fetch(`${e.login}/${e.tenantId}/discovery/v2.0/keys`)).json()) as any;
    const keysBefore = await jwks();
    const clockBefore = await clock();

    const reset = await emulator.arm("POST", "/emulator/reset", undefined, adminToken);
    expect(reset.status, JSON.stringify(reset.body)).toBe(204);

    // Resources: none in the subscription, no groups, no deployments.
    expect((await emulator.arm("GET", `${sub}/resourcegroups?api-version=${RESOURCES_API}`, undefined, adminToken)).body.value).toEqual([]);
    expect((await emulator.arm("GET", `${sub}/resources?api-version=${RESOURCES_API}`, undefined, adminToken)).body.value).toEqual([]);
    expect((await emulator.arm("GET", emulator.rgPath("reset-rg"), undefined, adminToken)).status).toBe(404);
    expect((await emulator.arm("GET", emulator.rgPath(RG), undefined, adminToken)).status).toBe(404);
    // Role assignments: only the admin's Owner on the subscription.
    const assignments = await emulator.arm("GET", `${sub}/providers/Microsoft.Authorization/roleAssignments?api-version=${AUTHZ_API}`, undefined, adminToken);
    expect(assignments.body.value.map((a: any) => [a.properties.principalId, a.properties.scope])).toEqual([[e.admin.objectId, sub]]);
    // Principals: only the admin; applications: none.
    const principals = await emulator.graph("GET", "/v1.0/servicePrincipals", undefined, graphToken);
    expect(principals.body.value.map((p: any) => p.id)).toEqual([e.admin.objectId]);
    expect((await emulator.graph("GET", `/v1.0/servicePrincipals/${vm.identity.principalId}`, undefined, graphToken)).status).toBe(404);
    expect((await emulator.graph("GET", `/v1.0/applications/${app.body.id}`, undefined, graphToken)).status).toBe(404);
    // The VM's IMDS base, the vault and its secret, the faults: gone.
    expect((await imds(tokenUrl({ id: vm.id, principalId: "", endpoint: vmEndpoint }))).status).not.toBe(200);
    const gone = await fetch(secretUrl, { headers: { authorization: `Bearer ${vaultToken}` } });
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as any).error.code).toBe("VaultNotFound");
    expect((await emulator.arm("GET", "/emulator/faults", undefined, adminToken)).body.value).toEqual([]);

    // What stays: the admin's token issued before the reset, the keys, the clock.
    expect((await emulator.arm("GET", `${sub}?api-version=${RESOURCES_API}`, undefined, adminToken)).status).toBe(200);
    expect(await jwks()).toEqual(keysBefore);
    expect((await clock()).offsetSeconds).toBe(clockBefore.offsetSeconds);

    // And the emulator works as new: the same names can be made again.
    await emulator.createResourceGroup("reset-rg");
    const again = await emulator.createVm("reset-rg", "reset-vm", { type: "SystemAssigned" });
    expect(again.identity.principalId).not.toBe(vm.identity.principalId);
    const fresh = await imds(tokenUrl({ id: again.id, principalId: "", endpoint: await emulator.imdsEndpoint("reset-rg", "reset-vm") }));
    expect(fresh.status).toBe(200);
    expect(decodeJwt(fresh.body.access_token).payload.oid).toBe(again.identity.principalId);
    expect((await emulator.arm("GET", `${sub}/providers/Microsoft.Resources/deployments/none?api-version=${ARM_API}`, undefined, adminToken)).status).toBe(404);
  });
});
