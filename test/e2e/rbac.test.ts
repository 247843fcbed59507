// RBAC on Resource Manager with real tokens of real principals: a VM's managed identity is the
// caller under test, and the admin grants and removes its roles.
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

const ROLES = {
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  vmContributor: "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
  userAccessAdministrator: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
  managedIdentityOperator: "f1a07417-d97a-45cb-824c-7a7467783830",
};
const AUTHZ_API = "2022-04-01";

const emulator = new TestEmulator();
let caller: { token: string; oid: string; appid: string };
let sub: string;

function roleDefinitionId(guid: string) {
  return `/subscriptions/${emulator.endpoints.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

async function grant(scope: string, role: string, principalId = caller.oid, name = randomUUID()) {
  const r = await emulator.arm("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=${AUTHZ_API}`, {
    properties: { roleDefinitionId: roleDefinitionId(role), principalId, principalType: "ServicePrincipal" },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return name;
}

async function revoke(scope: string, name: string) {
  const r = await emulator.arm("DELETE", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=${AUTHZ_API}`);
  expect(r.status).toBe(200);
}

const asCaller = (method: string, path: string, body?: unknown) => emulator.arm(method, path, body, caller.token);

beforeAll(async () => {
  await emulator.start();
  sub = emulator.subscriptionPath;
  await emulator.createResourceGroup("rbac-rg");
  await emulator.createResourceGroup("other-rg");
  await emulator.createVm("rbac-rg", "caller-vm", { type: "SystemAssigned" });
  const endpoint = await emulator.imdsEndpoint("rbac-rg", "caller-vm");
  const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
  const payload = decodeJwt(t.body.access_token).payload;
  caller = { token: t.body.access_token, oid: payload.oid, appid: payload.appid };
});
afterAll(() => emulator.dispose());

const rg = (name: string) => `${sub}/resourceGroups/${name}`;

describe("enforcement", () => {
  it("seed: enabling a system-assigned identity on a VM needs Virtual Machine Contributor", async () => {
    const body = { location: "westus", identity: { type: "SystemAssigned" } };
    const denied = await asCaller("PUT", emulator.vmPath("rbac-rg", "new-vm"), body);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toEqual({
      code: "AuthorizationFailed",
      message: `The client '${caller.appid}' with object id '${caller.oid}' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/write' over scope '${rg("rbac-rg")}/providers/Microsoft.Compute/virtualMachines/new-vm' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    });
    const name = await grant(rg("rbac-rg"), ROLES.vmContributor);
    const allowed = await asCaller("PUT", emulator.vmPath("rbac-rg", "new-vm"), body);
    expect(allowed.status).toBe(201);
    expect(allowed.body.identity.principalId).toBeTruthy();
    // The role is scoped: another group stays closed.
    expect((await asCaller("PUT", emulator.vmPath("other-rg", "new-vm"), body)).status).toBe(403);
    await revoke(rg("rbac-rg"), name);
    expect((await asCaller("PATCH", emulator.vmPath("rbac-rg", "new-vm"), { tags: { a: "b" } })).status).toBe(403);
  });

  it("inherits from subscription to resource group to resource", async () => {
    expect((await asCaller("GET", emulator.rgPath("other-rg"))).status).toBe(403);
    const name = await grant(sub, ROLES.reader);
    expect((await asCaller("GET", emulator.rgPath("other-rg"))).status).toBe(200);
    expect((await asCaller("GET", emulator.vmPath("rbac-rg", "caller-vm"))).status).toBe(200);
    // Reader cannot write anything.
    const write = await asCaller("PATCH", emulator.rgPath("other-rg"), { tags: { x: "y" } });
    expect(write.status).toBe(403);
    expect(write.body.error.message).toContain("'Microsoft.Resources/subscriptions/resourceGroups/write'");
    await revoke(sub, name);
    const vmScoped = await grant(`${rg("rbac-rg")}/providers/Microsoft.Compute/virtualMachines/caller-vm`, ROLES.reader);
    expect((await asCaller("GET", emulator.vmPath("rbac-rg", "caller-vm"))).status).toBe(200);
    expect((await asCaller("GET", emulator.rgPath("rbac-rg"))).status).toBe(403);
    await revoke(`${rg("rbac-rg")}/providers/Microsoft.Compute/virtualMachines/caller-vm`, vmScoped);
  });

  it("Contributor can write resources but not role assignments (notActions)", async () => {
    const name = await grant(rg("other-rg"), ROLES.contributor);
    expect((await asCaller("PUT", emulator.vmPath("other-rg", "c-vm"), { location: "westus" })).status).toBe(201);
    const selfGrant = await asCaller("PUT", `${rg("other-rg")}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=${AUTHZ_API}`, {
      properties: { roleDefinitionId: roleDefinitionId(ROLES.owner), principalId: caller.oid, principalType: "ServicePrincipal" },
    });
    expect(selfGrant.status).toBe(403);
    expect(selfGrant.body.error.code).toBe("AuthorizationFailed");
    expect(selfGrant.body.error.message).toContain("'Microsoft.Authorization/roleAssignments/write'");
    await revoke(rg("other-rg"), name);
  });

  it("User Access Administrator may write role assignments", async () => {
    const name = await grant(rg("other-rg"), ROLES.userAccessAdministrator);
    const r = await asCaller("PUT", `${rg("other-rg")}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=${AUTHZ_API}`, {
      properties: { roleDefinitionId: roleDefinitionId(ROLES.reader), principalId: caller.oid, principalType: "ServicePrincipal" },
    });
    expect(r.status).toBe(201);
    await revoke(rg("other-rg"), name);
  });
});

describe("linked access", () => {
  it("seed: assigning a user-assigned identity needs Virtual Machine Contributor and Managed Identity Operator", async () => {
    await emulator.createResourceGroup("identities-rg");
    const uami = await emulator.arm("PUT", `${rg("identities-rg")}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-id?api-version=2024-11-30`, { location: "westus" });
    const uamiId = uami.body.id;
    const attach = { identity: { type: "SystemAssigned, UserAssigned", userAssignedIdentities: { [uamiId]: {} } } };
    const vmContributor = await grant(rg("rbac-rg"), ROLES.vmContributor);

    const denied = await asCaller("PATCH", emulator.vmPath("rbac-rg", "caller-vm"), attach);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toEqual({
      code: "LinkedAuthorizationFailed",
      message: `The client '${caller.appid}' with object id '${caller.oid}' has permission to perform action 'Microsoft.Compute/virtualMachines/write' on scope '${rg("rbac-rg")}/providers/Microsoft.Compute/virtualMachines/caller-vm'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${uamiId}' or the linked scope(s) are invalid.`,
    });

    // Managed Identity Operator on the identity itself is enough...
    const onIdentity = await grant(uamiId, ROLES.managedIdentityOperator);
    const allowed = await asCaller("PATCH", emulator.vmPath("rbac-rg", "caller-vm"), attach);
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
    expect(Object.keys(allowed.body.identity.userAssignedIdentities)).toEqual([uamiId]);
    await revoke(uamiId, onIdentity);
    // ...and so is the identity's resource group; removing needs only VM Contributor.
    const detach = await asCaller("PATCH", emulator.vmPath("rbac-rg", "caller-vm"), { identity: { type: "SystemAssigned" } });
    expect(detach.status).toBe(200);
    const onGroup = await grant(rg("identities-rg"), ROLES.managedIdentityOperator);
    expect((await asCaller("PATCH", emulator.vmPath("rbac-rg", "caller-vm"), attach)).status).toBe(200);
    await revoke(rg("identities-rg"), onGroup);
    await revoke(rg("rbac-rg"), vmContributor);
  });

  it("Managed Identity Operator alone cannot write the VM", async () => {
    const name = await grant(sub, ROLES.managedIdentityOperator);
    const r = await asCaller("PATCH", emulator.vmPath("rbac-rg", "caller-vm"), { tags: { x: "1" } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("AuthorizationFailed");
    await revoke(sub, name);
  });
});

describe("custom roles", () => {
  it("a custom role grants exactly its actions, only where assignable, and cannot be deleted while in use", async () => {
    const guid = randomUUID();
    const path = `${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}?api-version=${AUTHZ_API}`;
    const definition = {
      properties: {
        roleName: "VM Reader Custom",
        description: "reads VMs",
        type: "CustomRole",
        permissions: [{ actions: ["Microsoft.Compute/virtualMachines/read"], notActions: [] }],
        assignableScopes: [rg("rbac-rg")],
      },
    };
    const created = await emulator.arm("PUT", path, definition);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.properties).toMatchObject({ roleName: "VM Reader Custom", type: "CustomRole" });
    const sameName = await emulator.arm("PUT", `${sub}/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}?api-version=${AUTHZ_API}`, definition);
    expect(sameName.status).toBe(409);
    const outside = await emulator.arm("PUT", `${rg("other-rg")}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=${AUTHZ_API}`, {
      properties: { roleDefinitionId: roleDefinitionId(guid), principalId: caller.oid, principalType: "ServicePrincipal" },
    });
    expect(outside.status).toBe(403);
    const name = await grant(rg("rbac-rg"), guid);
    expect((await asCaller("GET", emulator.vmPath("rbac-rg", "caller-vm"))).status).toBe(200);
    expect((await asCaller("GET", emulator.rgPath("rbac-rg"))).status).toBe(403);
    expect((await emulator.arm("DELETE", path)).status).toBe(409);
    await revoke(rg("rbac-rg"), name);
    expect((await emulator.arm("DELETE", path)).status).toBe(200);
  });
});

describe("role assignments API", () => {
  it("the unmodified @azure/arm-authorization client creates, lists and deletes; atScope() includes inherited ones", async () => {
    const client = new AuthorizationManagementClient(emulator.adminCredential(), emulator.endpoints.subscriptionId, {
      endpoint: emulator.endpoints.arm,
      credentialScopes: ["https://management.azure.com/.default"],
    });
    const scope = rg("rbac-rg");
    const name = randomUUID();
    const created = await client.roleAssignments.create(scope, name, {
      roleDefinitionId: roleDefinitionId(ROLES.reader),
      principalId: caller.oid,
      principalType: "ServicePrincipal",
    });
    expect(created.roleDefinitionId).toBe(roleDefinitionId(ROLES.reader));
    expect(created.scope).toBe(scope);
    const atScope = [];
    for await (const a of client.roleAssignments.listForScope(scope, { filter: "atScope()" })) atScope.push(a);
    expect(atScope.map((a) => a.name)).toContain(name);
    expect(atScope.some((a) => a.principalId === emulator.endpoints.admin.objectId && a.scope === sub)).toBe(true);
    const mine = [];
    for await (const a of client.roleAssignments.listForSubscription({ filter: `principalId eq '${caller.oid}'` })) mine.push(a.name);
    expect(mine).toContain(name);
    const definitions = [];
    for await (const d of client.roleDefinitions.list(sub, { filter: "roleName eq 'Virtual Machine Contributor'" })) definitions.push(d);
    expect(definitions.map((d) => d.id)).toEqual([roleDefinitionId(ROLES.vmContributor)]);
    await client.roleAssignments.delete(scope, name);
    const after = [];
    for await (const a of client.roleAssignments.listForScope(scope)) after.push(a.name);
    expect(after).not.toContain(name);
  });

  it("assignments outlive their principal", async () => {
    await emulator.createVm("rbac-rg", "short-lived", { type: "SystemAssigned" });
    const vm = (await emulator.arm("GET", emulator.vmPath("rbac-rg", "short-lived"))).body;
    const name = await grant(rg("rbac-rg"), ROLES.reader, vm.identity.principalId);
    await emulator.arm("DELETE", emulator.vmPath("rbac-rg", "short-lived"));
    const r = await emulator.arm("GET", `${rg("rbac-rg")}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=${AUTHZ_API}`);
    expect(r.status).toBe(200);
    expect(r.body.properties.principalId).toBe(vm.identity.principalId);
    await revoke(rg("rbac-rg"), name);
  });
});

describe("subscriptions seen through a role within", () => {
  const SUBSCRIPTIONS_API = "2022-12-01";
  let reader: { token: string; oid: string; appid: string };
  let nobody: { token: string; oid: string; appid: string };

  async function vmIdentity(vm: string) {
    await emulator.createVm("rbac-rg", vm, { type: "SystemAssigned" });
    const endpoint = await emulator.imdsEndpoint("rbac-rg", vm);
    const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const payload = decodeJwt(t.body.access_token).payload;
    return { token: t.body.access_token as string, oid: payload.oid as string, appid: payload.appid as string };
  }
  const list = (token: string) => emulator.arm("GET", `/subscriptions?api-version=${SUBSCRIPTIONS_API}`, undefined, token);
  const get = (token: string) => emulator.arm("GET", `${sub}?api-version=${SUBSCRIPTIONS_API}`, undefined, token);

  beforeAll(async () => {
    [reader, nobody] = await Promise.all([vmIdentity("sub-reader-vm"), vmIdentity("sub-nobody-vm")]);
  });

  it("a principal with no role assignment lists nothing and gets 403 AuthorizationFailed for the subscription", async () => {
    const listed = await list(nobody.token);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ value: [], count: { type: "Total", value: 0 } });
    const r = await get(nobody.token);
    expect(r.status).toBe(403);
    expect(r.body.error).toEqual({
      code: "AuthorizationFailed",
      message: `The client '${nobody.appid}' with object id '${nobody.oid}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/read' over scope '${sub}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    });
  });

  it("Reader on one resource group lists and reads the subscription, and still nothing else", async () => {
    const name = await grant(rg("rbac-rg"), ROLES.reader, reader.oid);
    const listed = await list(reader.token);
    expect(listed.status).toBe(200);
    expect(listed.body.count).toEqual({ type: "Total", value: 1 });
    expect(listed.body.value).toHaveLength(1);
    expect(listed.body.value[0]).toMatchObject({ id: sub, subscriptionId: emulator.endpoints.subscriptionId, tenantId: emulator.endpoints.tenantId, state: "Enabled" });
    const r = await get(reader.token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(listed.body.value[0]);
    // What it may do there is still each operation's own check.
    expect((await emulator.arm("GET", emulator.rgPath("rbac-rg"), undefined, reader.token)).status).toBe(200);
    const other = await emulator.arm("GET", emulator.rgPath("other-rg"), undefined, reader.token);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe("AuthorizationFailed");
    // The principal without an assignment is unaffected by another's.
    expect((await list(nobody.token)).body.value).toEqual([]);
    await revoke(rg("rbac-rg"), name);
    expect((await list(reader.token)).body.value).toEqual([]);
    expect((await get(reader.token)).status).toBe(403);
  });

  it("an assignment on one resource below, or at the subscription itself, shows it too", async () => {
    const vmScope = `${rg("rbac-rg")}/providers/Microsoft.Compute/virtualMachines/sub-reader-vm`;
    const onVm = await grant(vmScope, ROLES.reader, reader.oid);
    expect((await list(reader.token)).body.value.map((s: any) => s.subscriptionId)).toEqual([emulator.endpoints.subscriptionId]);
    expect((await get(reader.token)).status).toBe(200);
    expect((await emulator.arm("GET", emulator.rgPath("rbac-rg"), undefined, reader.token)).status).toBe(403);
    await revoke(vmScope, onVm);
    const onSubscription = await grant(sub, ROLES.reader, reader.oid);
    expect((await get(reader.token)).status).toBe(200);
    await revoke(sub, onSubscription);
    expect((await get(reader.token)).status).toBe(403);
  });

  it("an unknown subscription is 404 SubscriptionNotFound, whoever asks", async () => {
    const r = await emulator.arm("GET", `/subscriptions/00000000-0000-0000-0000-000000000000?api-version=${SUBSCRIPTIONS_API}`, undefined, nobody.token);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("SubscriptionNotFound");
  });
});

describe("role assignment uniqueness", () => {
  it("20 concurrent PUTs of the same (principal, role, scope) under different names: one 201, nineteen 409 RoleAssignmentExists", async () => {
    await emulator.createResourceGroup("unique-rg");
    const scope = rg("unique-rg");
    const names = Array.from({ length: 20 }, () => randomUUID());
    const answers = await Promise.all(
      names.map((name) =>
        emulator.arm("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=${AUTHZ_API}`, {
          properties: { roleDefinitionId: roleDefinitionId(ROLES.reader), principalId: caller.oid, principalType: "ServicePrincipal" },
        }),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    const conflicts = answers.filter((a) => a.status === 409);
    expect(conflicts).toHaveLength(19);
    const winner = created[0]!.body.name as string;
    for (const c of conflicts) {
      expect(c.body.error.code).toBe("RoleAssignmentExists");
      expect(c.body.error.message).toBe(`The role assignment already exists. The ID of the existing role assignment is ${winner.replace(/-/g, "")}.`);
    }
    const list = await emulator.arm("GET", `${scope}/providers/Microsoft.Authorization/roleAssignments?api-version=${AUTHZ_API}&$filter=atScope() and principalId eq '${caller.oid}'`);
    expect(list.body.value).toHaveLength(1);
    // Revoking the one assignment leaves nothing granting access.
    await revoke(scope, winner);
    expect((await asCaller("GET", emulator.rgPath("unique-rg"))).status).toBe(403);
  });
});

describe("enforcement off", () => {
  const relaxed = new TestEmulator({ rbacEnforcement: "off" });
  afterAll(() => relaxed.dispose());

  it("allows what would be denied (and logs it) when the deployment turns enforcement off", async () => {
    await relaxed.start();
    await relaxed.createResourceGroup("open-rg");
    await relaxed.createVm("open-rg", "vm", { type: "SystemAssigned" });
    const endpoint = await relaxed.imdsEndpoint("open-rg", "vm");
    const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    const r = await relaxed.arm("GET", relaxed.rgPath("open-rg"), undefined, t.body.access_token);
    expect(r.status).toBe(200);
  });
});
