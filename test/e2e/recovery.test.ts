// Every multi-step write converges: each step Resource Manager takes across workers is made to
// fail (the test-only failpoint seam, workers/arm/src/failpoints.ts), and afterwards — without any
// further write, only the alarm the operation set — the directory, IMDS and Resource Manager agree:
// no orphan principal, no IMDS credential for a removed identity, no resource half-made.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

const emulator = new TestEmulator({ testFailpoints: true });
const RG = "recovery-rg";
const UAMI_API = "2023-01-31";
let graphToken: string;

async function failNext(step: string, count = 1): Promise<void> {
  const r = await emulator.arm("PUT", "/emulator/test-failpoints", { [step]: count });
  expect(r.status, JSON.stringify(r.body)).toBe(204);
}

const uamiPath = (name: string) => `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}?api-version=${UAMI_API}`;

/** The directory's managed-identity principals, by display name. */
async function managedPrincipals(displayName: string): Promise<any[]> {
  const r = await emulator.graph("GET", `/v1.0/servicePrincipals?$filter=displayName eq '${displayName}'`, undefined, graphToken);
  expect(r.status).toBe(200);
  return r.body.value.filter((p: any) => p.servicePrincipalType === "ManagedIdentity");
}

/** Polls until `check` holds (the alarm runs about a second after a failure). */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`never converged: ${what}`);
}

async function tokenStatus(base: string, query = ""): Promise<{ status: number; oid?: string }> {
  const r = await imds(`${base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&bypass_cache=true${query}`);
  return { status: r.status, oid: r.status === 200 ? decodeJwt(r.body.access_token).payload.oid : undefined };
}

beforeAll(async () => {
  await emulator.start();
  await emulator.createResourceGroup(RG);
  graphToken = (await emulator.adminCredential().getToken("https://graph.microsoft.com/.default")).token;
});
afterAll(() => emulator.dispose());

describe("creating a VM with a system-assigned identity", () => {
  for (const step of ["aad.createPrincipal", "imds.configureVm", "arm.beforeCommit"]) {
    it(`a failure at ${step} answers 500 and leaves nothing: no VM, no principal`, async () => {
      const name = `vm-${step.replace(/\./g, "-").toLowerCase()}`;
      await failNext(step);
      const r = await emulator.arm("PUT", emulator.vmPath(RG, name), { location: "westus", identity: { type: "SystemAssigned" } });
      expect(r.status).toBe(500);
      expect(r.body.error.code).toBe("InternalServerError");
      await eventually(async () => (await managedPrincipals(name)).length === 0, `principal of ${name} deleted`);
      expect((await emulator.arm("GET", emulator.vmPath(RG, name))).status).toBe(404);
      const list = await emulator.arm("GET", `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines?api-version=2024-11-01`);
      expect(list.body.value.map((v: any) => v.name)).not.toContain(name);
      // And a retry succeeds cleanly.
      const again = await emulator.arm("PUT", emulator.vmPath(RG, name), { location: "westus", identity: { type: "SystemAssigned" } });
      expect(again.status).toBe(201);
      expect(await managedPrincipals(name)).toHaveLength(1);
      expect((await tokenStatus(await emulator.imdsEndpoint(RG, name))).oid).toBe(again.body.identity.principalId);
    });
  }
});

describe("taking a system-assigned identity away", () => {
  it("if IMDS cannot be reconfigured: 500 and nothing changed (the identity, its principal and its tokens all stay)", async () => {
    const vm = await emulator.createVm(RG, "keep-vm", { type: "SystemAssigned" });
    const base = await emulator.imdsEndpoint(RG, "keep-vm");
    await failNext("imds.configureVm");
    const r = await emulator.arm("PATCH", emulator.vmPath(RG, "keep-vm"), { identity: { type: "None" } });
    expect(r.status).toBe(500);
    const after = await emulator.arm("GET", emulator.vmPath(RG, "keep-vm"));
    expect(after.body.identity.principalId).toBe(vm.identity.principalId);
    expect(await managedPrincipals("keep-vm")).toHaveLength(1);
    expect((await tokenStatus(base)).oid).toBe(vm.identity.principalId);
  });

  it("if the principal cannot be deleted: the identity is gone from the VM and from IMDS at once, the principal follows on its own", async () => {
    const vm = await emulator.createVm(RG, "drop-vm", { type: "SystemAssigned" });
    const base = await emulator.imdsEndpoint(RG, "drop-vm");
    expect((await tokenStatus(base)).status).toBe(200);
    await failNext("aad.deletePrincipal");
    const r = await emulator.arm("PATCH", emulator.vmPath(RG, "drop-vm"), { identity: { type: "None" } });
    expect(r.status).toBe(200);
    expect(r.body.identity).toBeUndefined();
    expect((await tokenStatus(base)).status).toBe(400);
    await eventually(async () => (await managedPrincipals("drop-vm")).length === 0, "principal of drop-vm deleted");
    expect(vm.identity.principalId).toBeTruthy();
  });
});

describe("deleting a VM", () => {
  for (const step of ["imds.clearVm", "aad.deletePrincipal"]) {
    it(`a failure at ${step}: 500, the VM shows Deleting, then it is gone with its principal and IMDS base, without another request`, async () => {
      const name = `del-${step.replace(/\./g, "-").toLowerCase()}`;
      await emulator.createVm(RG, name, { type: "SystemAssigned" });
      const base = await emulator.imdsEndpoint(RG, name);
      await failNext(step);
      const r = await emulator.arm("DELETE", emulator.vmPath(RG, name));
      expect(r.status).toBe(500);
      await eventually(async () => (await emulator.arm("GET", emulator.vmPath(RG, name))).status === 404, `${name} deleted`);
      expect(await managedPrincipals(name)).toHaveLength(0);
      expect((await tokenStatus(base)).status).not.toBe(200);
    });
  }
});

describe("user-assigned identities", () => {
  for (const step of ["aad.createPrincipal", "arm.beforeCommit"]) {
    it(`create failing at ${step}: 500, no identity, no principal`, async () => {
      const name = `uami-${step.replace(/\./g, "-").toLowerCase()}`;
      await failNext(step);
      const r = await emulator.arm("PUT", uamiPath(name), { location: "westus" });
      expect(r.status).toBe(500);
      await eventually(async () => (await managedPrincipals(name)).length === 0, `principal of ${name} deleted`);
      expect((await emulator.arm("GET", uamiPath(name))).status).toBe(404);
    });
  }

  it("delete failing at aad.deletePrincipal: finished by the alarm; VMs using it lose its credential", async () => {
    const created = await emulator.arm("PUT", uamiPath("uami-doomed"), { location: "westus" });
    expect(created.status).toBe(201);
    const vm = await emulator.arm("PUT", emulator.vmPath(RG, "uami-user"), {
      location: "westus",
      identity: { type: "UserAssigned", userAssignedIdentities: { [created.body.id]: {} } },
    });
    expect(vm.status).toBe(201);
    const base = await emulator.imdsEndpoint(RG, "uami-user");
    expect((await tokenStatus(base, `&client_id=${created.body.properties.clientId}`)).status).toBe(200);
    await failNext("aad.deletePrincipal");
    expect((await emulator.arm("DELETE", uamiPath("uami-doomed"))).status).toBe(500);
    expect((await emulator.arm("GET", uamiPath("uami-doomed"))).status).toBe(404);
    await eventually(async () => (await managedPrincipals("uami-doomed")).length === 0, "principal of uami-doomed deleted");
    expect((await tokenStatus(base, `&client_id=${created.body.properties.clientId}`)).status).toBe(400);
  });
});

describe("the seam itself", () => {
  it("is admin-only and refuses unknown steps", async () => {
    const bad = await emulator.arm("PUT", "/emulator/test-failpoints", { "no.such.step": 1 });
    expect(bad.status).toBe(400);
    const vm = await emulator.createVm(RG, "seam-caller", { type: "SystemAssigned" });
    const t = await imds(`${await emulator.imdsEndpoint(RG, "seam-caller")}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    const denied = await emulator.arm("PUT", "/emulator/test-failpoints", { "aad.createPrincipal": 1 }, t.body.access_token);
    expect(denied.status).toBe(403);
    expect(vm.identity.principalId).toBeTruthy();
  });
});
