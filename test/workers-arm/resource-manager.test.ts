// Resource Manager inside workerd, with the authority and the identity endpoints as its auxiliary
// workers: ARM's validation and error envelope, RBAC as every call meets it (a managed identity's
// own token, denied, then granted by an assignment at a scope above, never by one beside it), the
// role-assignment rules, and a VM's system-assigned identity through the real bindings (the
// principal in the authority, the VM's host in IMDS, a token from its IMDS base). The same rules
// over sockets with the unmodified SDKs stay in test/e2e/.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";

interface TestEnv {
  TENANT_ID: string;
  SUBSCRIPTION_ID: string;
  ADMIN_CLIENT_ID: string;
  ADMIN_CLIENT_SECRET?: string;
  AUTHORIZATION: DurableObjectNamespace;
  LOGIN: Fetcher;
  IMDS_HTTP: Fetcher;
}
const testEnv = env as unknown as TestEnv;
const arm = (exports as unknown as { default: Fetcher }).default;
const ADMIN_SECRET = "mie-well-known-admin-secret-Zm9yLWxvY2FsLXVzZS1vbmx5";
const ROLES = { reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7", contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c" };
const sub = () => `/subscriptions/${testEnv.SUBSCRIPTION_ID}`;
const rg = (name: string) => `${sub()}/resourceGroups/${name}`;
const vmPath = (group: string, name: string, suffix = "") => `${rg(group)}/providers/Microsoft.Compute/virtualMachines/${name}${suffix}?api-version=2024-11-01`;
const roleDefinitionId = (guid: string) => `${sub()}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

let adminToken: string;

async function call(method: string, path: string, body?: unknown, token: string | null = adminToken): Promise<{ status: number; body: any }> {
  const response = await arm.fetch(`https://management.azure.com${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function createVm(group: string, name: string, identity?: { type: string }) {
  return call("PUT", vmPath(group, name), {
    location: "westus",
    ...(identity ? { identity } : {}),
    properties: { hardwareProfile: { vmSize: "Standard_B1s" }, osProfile: { computerName: name, adminUsername: "azureuser", adminPassword: "Secret-Passw0rd!" } },
  });
}

function assignmentPath(scope: string, name: string) {
  return `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`;
}

async function grant(scope: string, role: string, principalId: string): Promise<string> {
  const name = crypto.randomUUID();
  const r = await call("PUT", assignmentPath(scope, name), { properties: { roleDefinitionId: roleDefinitionId(role), principalId, principalType: "ServicePrincipal" } });
  expect(r.status).toBe(201);
  return name;
}

beforeAll(async () => {
  const response = await testEnv.LOGIN.fetch(`https://login.microsoftonline.com/${testEnv.TENANT_ID}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: testEnv.ADMIN_CLIENT_ID, client_secret: ADMIN_SECRET, scope: "https://management.azure.com/.default" }),
  });
  adminToken = ((await response.json()) as { access_token: string }).access_token;
  for (const group of ["rules-rg", "other-rg"]) expect((await call("PUT", `${rg(group)}?api-version=2021-04-01`, { location: "westus" })).status).toBeLessThan(300);
});

describe("validation, before anything is made", () => {
  it("404 ResourceNotFound and ResourceGroupNotFound in Azure's words", async () => {
    const r = await call("GET", vmPath("rules-rg", "ghost"));
    expect(r.status).toBe(404);
    expect(r.body.error).toEqual({
      code: "ResourceNotFound",
      message: "The Resource 'Microsoft.Compute/virtualMachines/ghost' under resource group 'rules-rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    });
    const put = await call("PUT", vmPath("no-such-rg", "vm"), { location: "westus" });
    expect(put.status).toBe(404);
    expect(put.body.error.code).toBe("ResourceGroupNotFound");
    const patch = await call("PATCH", vmPath("rules-rg", "ghost"), { tags: {} });
    expect(patch.status).toBe(404);
    expect(patch.body.error.code).toBe("ResourceNotFound");
  });

  it("refuses bad identity types, bad names, missing location and bad JSON, and creates nothing", async () => {
    const badType = await call("PUT", vmPath("rules-rg", "v1"), { location: "westus", identity: { type: "Bogus" } });
    expect(badType.status).toBe(400);
    expect(badType.body.error.code).toBe("InvalidIdentityType");
    const badName = await call("PUT", vmPath("rules-rg", "_under"), { location: "westus" });
    expect(badName.status).toBe(400);
    expect(badName.body.error.code).toBe("InvalidResourceName");
    expect((await call("PUT", vmPath("rules-rg", "v1"), { properties: {} })).body.error.code).toBe("LocationRequired");
    expect((await call("PUT", vmPath("rules-rg", "v1"), "[1,2")).body.error.code).toBe("InvalidRequestContent");
    expect((await call("GET", vmPath("rules-rg", "v1"))).status).toBe(404);
  });

  it("answers a missing or malformed bearer token with ARM's 401s", async () => {
    const none = await call("GET", `${sub()}?api-version=2022-12-01`, undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("AuthenticationFailed");
    const garbage = await call("GET", `${sub()}?api-version=2022-12-01`, undefined, "not-a-jwt");
    expect(garbage.status).toBe(401);
    expect(garbage.body.error.code).toBe("InvalidAuthenticationToken");
  });
});

describe("a VM's identity through the real bindings, and RBAC as it meets it", () => {
  let principalId: string;
  let vmToken: string;

  it("creates the principal in the authority and the VM's host in IMDS; the VM's code gets a token", async () => {
    const created = await createVm("rules-rg", "rbac-vm", { type: "SystemAssigned" });
    expect(created.status).toBe(201);
    principalId = created.body.identity.principalId;
    const listed = await call("POST", vmPath("rules-rg", "rbac-vm", "/listImdsEndpoint"));
    expect(listed.status).toBe(200);
    const base = listed.body.endpoint as string;
    expect(base).toMatch(/^http:\/\/169\.254\.169\.254\/vms\/[0-9a-f]{40}$/);
    const answer = await testEnv.IMDS_HTTP.fetch(`${base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`, { headers: { metadata: "true" } });
    expect(answer.status).toBe(200);
    vmToken = ((await answer.json()) as { access_token: string }).access_token;
  });

  it("denies the identity with no assignment, then grants through an assignment at a scope above, never beside", async () => {
    const read = () => call("GET", vmPath("rules-rg", "rbac-vm"), undefined, vmToken);
    const denied = await read();
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("AuthorizationFailed");
    expect(denied.body.error.message).toContain(`with object id '${principalId}' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/read'`);

    const beside = await grant(rg("other-rg"), ROLES.reader, principalId);
    expect((await read()).status).toBe(403);
    const above = await grant(rg("rules-rg"), ROLES.reader, principalId);
    expect((await read()).status).toBe(200);
    // Reader reads, never writes.
    const write = await call("PATCH", vmPath("rules-rg", "rbac-vm"), { tags: { a: "b" } }, vmToken);
    expect(write.status).toBe(403);
    expect(write.body.error.message).toContain("'Microsoft.Compute/virtualMachines/write'");

    // The store keeps the assignments indexed by principal: a check reads only the caller's own.
    const stub = testEnv.AUTHORIZATION.get(testEnv.AUTHORIZATION.idFromName(testEnv.TENANT_ID.toLowerCase()));
    const names = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM role_assignments WHERE principal_id = ?", principalId.toLowerCase()).toArray().map((r) => r.name),
    );
    expect(names.sort()).toEqual([above, beside].sort());

    expect((await call("DELETE", assignmentPath(rg("rules-rg"), above))).status).toBe(200);
    expect((await read()).status).toBe(403);
  });

  it("validates role assignments in Azure's words: names, roles, principals, duplicates, moves", async () => {
    const put = (scope: string, name: string, over: Record<string, unknown> = {}) =>
      call("PUT", assignmentPath(scope, name), { properties: { roleDefinitionId: roleDefinitionId(ROLES.contributor), principalId, principalType: "ServicePrincipal", ...over } });
    const notGuid = await put(rg("rules-rg"), "not-a-guid");
    expect(notGuid.status).toBe(400);
    expect(notGuid.body.error.code).toBe("InvalidRoleAssignmentId");
    expect((await put(rg("rules-rg"), crypto.randomUUID(), { roleDefinitionId: roleDefinitionId(crypto.randomUUID()) })).body.error.code).toBe("RoleDefinitionDoesNotExist");
    const noPrincipal = await put(rg("rules-rg"), crypto.randomUUID(), { principalId: crypto.randomUUID() });
    expect(noPrincipal.status).toBe(400);
    expect(noPrincipal.body.error.code).toBe("PrincipalNotFound");
    const first = crypto.randomUUID();
    expect((await put(rg("rules-rg"), first)).status).toBe(201);
    const duplicate = await put(rg("rules-rg"), crypto.randomUUID());
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toEqual({ code: "RoleAssignmentExists", message: `The role assignment already exists. The ID of the existing role assignment is ${first.replace(/-/g, "")}.` });
    expect((await put(rg("other-rg"), first)).body.error.code).toBe("RoleAssignmentUpdateNotPermitted");
    const missing = await call("GET", assignmentPath(rg("rules-rg"), crypto.randomUUID()));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("RoleAssignmentNotFound");
    expect((await call("DELETE", assignmentPath(rg("rules-rg"), first))).status).toBe(200);
    expect((await call("DELETE", assignmentPath(rg("rules-rg"), first))).status).toBe(204);
  });

  it("deleting the VM deletes its principal: the directory refuses it as an assignee afterwards", async () => {
    expect((await call("DELETE", vmPath("rules-rg", "rbac-vm"))).status).toBe(200);
    const after = await call("PUT", assignmentPath(rg("rules-rg"), crypto.randomUUID()), {
      properties: { roleDefinitionId: roleDefinitionId(ROLES.reader), principalId, principalType: "ServicePrincipal" },
    });
    expect(after.status).toBe(400);
    expect(after.body.error.code).toBe("PrincipalNotFound");
  });
});
