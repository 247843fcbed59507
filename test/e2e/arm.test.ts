// Resource Manager: authentication, api-versions, validation and authorization, each error in
// ARM's envelope with ARM's status and code; resource groups with the unmodified client.
import { ResourceManagementClient } from "@azure/arm-resources";
import { SignJWT, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARM_API, TestEmulator, imds } from "../support/emulator.ts";

const emulator = TestEmulator.shared();
let resources: ResourceManagementClient;

beforeAll(async () => {
  await emulator.start();
  resources = new ResourceManagementClient(emulator.adminCredential(), emulator.endpoints.subscriptionId, {
    endpoint: emulator.endpoints.arm,
    credentialScopes: ["https://management.azure.com/.default"],
  });
  await emulator.createResourceGroup("arm-rg");
});
afterAll(() => emulator.dispose());

const subscriptionUrl = () => `${emulator.subscriptionPath}?api-version=2022-12-01`;

describe("authentication", () => {
  it("401 AuthenticationFailed with ARM's challenge when the header is missing", async () => {
    const r = await emulator.arm("GET", subscriptionUrl(), undefined, null);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { code: "AuthenticationFailed", message: "Authentication failed. The 'Authorization' header is missing." } });
    expect(r.headers.get("www-authenticate")).toBe(
      `Bearer authorization_uri="${emulator.endpoints.login}/${emulator.endpoints.tenantId}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
    );
    expect(r.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("401 for a header in the wrong format", async () => {
    const response = await fetch(`${emulator.endpoints.arm}${subscriptionUrl()}`, { headers: { authorization: "Basic abc" } });
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe("AuthenticationFailedInvalidHeader");
  });

  it("401 InvalidAuthenticationToken for garbage and for a token signed with a foreign key", async () => {
    const garbage = await emulator.arm("GET", subscriptionUrl(), undefined, "not-a-jwt");
    expect(garbage.status).toBe(401);
    expect(garbage.body.error.code).toBe("InvalidAuthenticationToken");

    const { privateKey } = await generateKeyPair("RS256");
    const real = JSON.parse(Buffer.from((await emulator.adminToken()).split(".")[0]!, "base64url").toString());
    const forged = await new SignJWT({
      aud: "https://management.azure.com",
      iss: `https://sts.windows.net/${emulator.endpoints.tenantId}/`,
      oid: emulator.endpoints.admin.objectId,
      appid: emulator.endpoints.admin.clientId,
    })
      .setProtectedHeader({ alg: "RS256", kid: real.kid, x5t: real.x5t })
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
    const r = await emulator.arm("GET", subscriptionUrl(), undefined, forged);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("InvalidAuthenticationToken");

    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${forged.split(".")[1]}.`;
    expect((await emulator.arm("GET", subscriptionUrl(), undefined, none)).body.error.code).toBe("InvalidAuthenticationToken");
  });

  it("401 InvalidAuthenticationTokenAudience for a token issued for another resource", async () => {
    const vaultToken = await emulator.adminCredential().getToken("https://vault.azure.net/.default");
    const r = await emulator.arm("GET", subscriptionUrl(), undefined, vaultToken.token);
    expect(r.status).toBe(401);
    expect(r.body.error).toEqual({
      code: "InvalidAuthenticationTokenAudience",
      message:
        "The access token has been obtained for wrong audience or resource 'https://vault.azure.net'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.",
    });
  });

  it("accepts both management audiences, with and without the trailing slash", async () => {
    for (const scope of ["https://management.core.windows.net//.default", "https://management.azure.com//.default", "https://management.core.windows.net/.default"]) {
      const t = await emulator.adminCredential().getToken(scope);
      expect((await emulator.arm("GET", subscriptionUrl(), undefined, t.token)).status).toBe(200);
    }
  });
});

describe("authorization", () => {
  it("a principal with no role assignment gets 403 AuthorizationFailed in Azure's words", async () => {
    await emulator.createVm("arm-rg", "mi-vm", { type: "SystemAssigned" });
    const endpoint = await emulator.imdsEndpoint("arm-rg", "mi-vm");
    const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    const payload = JSON.parse(Buffer.from(t.body.access_token.split(".")[1], "base64url").toString());
    const scope = `/subscriptions/${emulator.endpoints.subscriptionId}/resourcegroups/arm-rg`;
    const r = await emulator.arm("GET", `${scope}?api-version=${ARM_API}`, undefined, t.body.access_token);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      error: {
        code: "AuthorizationFailed",
        message: `The client '${payload.appid}' with object id '${payload.oid}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/read' over scope '/subscriptions/${emulator.endpoints.subscriptionId}/resourceGroups/arm-rg' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      },
    });
    const write = await emulator.arm("PUT", emulator.vmPath("arm-rg", "sneaky"), { location: "westus" }, t.body.access_token);
    expect(write.status).toBe(403);
    expect(write.body.error.message).toContain("'Microsoft.Compute/virtualMachines/write'");
    expect((await emulator.arm("GET", emulator.vmPath("arm-rg", "sneaky"))).status).toBe(404);
    const list = await emulator.arm("GET", `/subscriptions?api-version=2022-12-01`, undefined, t.body.access_token);
    expect(list.body.value).toEqual([]);
  });
});

describe("api-version", () => {
  it("400 MissingApiVersionParameter", async () => {
    const r = await emulator.arm("GET", `${emulator.subscriptionPath}/resourcegroups/arm-rg`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: "MissingApiVersionParameter", message: "The api-version query parameter (?api-version=) is required for all requests." } });
  });

  it("400 InvalidApiVersionParameter for resource groups, NoRegisteredProviderFound for VMs", async () => {
    const rg = await emulator.arm("GET", `${emulator.subscriptionPath}/resourcegroups/arm-rg?api-version=2099-01-01`);
    expect(rg.status).toBe(400);
    expect(rg.body.error.code).toBe("InvalidApiVersionParameter");
    expect(rg.body.error.message).toMatch(/^The api-version '2099-01-01' is invalid\. The supported versions are '/);
    const vm = await emulator.arm("GET", `${emulator.subscriptionPath}/resourceGroups/arm-rg/providers/Microsoft.Compute/virtualMachines/x?api-version=2099-01-01`);
    expect(vm.status).toBe(400);
    expect(vm.body.error.code).toBe("NoRegisteredProviderFound");
  });
});

describe("subscriptions", () => {
  it("lists and gets the seeded subscription", async () => {
    const list = await emulator.arm("GET", "/subscriptions?api-version=2022-12-01");
    expect(list.body.value.map((s: { subscriptionId: string }) => s.subscriptionId)).toEqual([emulator.endpoints.subscriptionId]);
    const r = await emulator.arm("GET", subscriptionUrl());
    expect(r.body).toMatchObject({ subscriptionId: emulator.endpoints.subscriptionId, tenantId: emulator.endpoints.tenantId, state: "Enabled" });
    const missing = await emulator.arm("GET", `/subscriptions/00000000-0000-0000-0000-000000000000?api-version=2022-12-01`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("SubscriptionNotFound");
  });
});

describe("resource groups", () => {
  it("create, get, exists, update tags, list and delete with the unmodified client", async () => {
    const created = await resources.resourceGroups.createOrUpdate("Client-RG", { location: "West US", tags: { a: "1" } });
    expect(created).toMatchObject({ name: "Client-RG", location: "westus", tags: { a: "1" }, properties: { provisioningState: "Succeeded" } });
    expect(created.id).toBe(`/subscriptions/${emulator.endpoints.subscriptionId}/resourceGroups/Client-RG`);
    expect((await resources.resourceGroups.get("client-rg")).name).toBe("Client-RG");
    expect((await resources.resourceGroups.checkExistence("client-rg")).body).toBe(true);
    const updated = await resources.resourceGroups.update("client-rg", { tags: { b: "2" } });
    expect(updated.tags).toEqual({ b: "2" });
    const names = [];
    for await (const g of resources.resourceGroups.list()) names.push(g.name);
    expect(names).toEqual(expect.arrayContaining(["Client-RG", "arm-rg"]));
    await resources.resourceGroups.beginDeleteAndWait("client-rg");
    expect((await resources.resourceGroups.checkExistence("client-rg")).body).toBe(false);
  });

  it("PUT returns 201 then 200; a second PUT in another location is a conflict", async () => {
    expect((await emulator.arm("PUT", emulator.rgPath("twice"), { location: "westus" })).status).toBe(201);
    expect((await emulator.arm("PUT", emulator.rgPath("twice"), { location: "westus" })).status).toBe(200);
    const moved = await emulator.arm("PUT", emulator.rgPath("twice"), { location: "eastus" });
    expect(moved.status).toBe(409);
    expect(moved.body.error.code).toBe("InvalidResourceGroupLocation");
  });

  it("refuses bad input with 400 and leaves nothing behind", async () => {
    const badJson = await emulator.arm("PUT", emulator.rgPath("badjson"), "{not json");
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe("InvalidRequestContent");
    const noLocation = await emulator.arm("PUT", emulator.rgPath("nolocation"), { tags: {} });
    expect(noLocation.status).toBe(400);
    expect(noLocation.body.error.code).toBe("LocationRequired");
    const badName = await emulator.arm("PUT", emulator.rgPath("bad%2Fname."), { location: "westus" });
    expect(badName.status).toBe(400);
    const badTags = await emulator.arm("PUT", emulator.rgPath("badtags"), { location: "westus", tags: { a: 1 } });
    expect(badTags.body.error.code).toBe("InvalidRequestContent");
    for (const name of ["badjson", "nolocation", "badtags"]) {
      expect((await emulator.arm("HEAD", emulator.rgPath(name))).status).toBe(404);
    }
  });

  it("404 ResourceGroupNotFound in ARM's words", async () => {
    const r = await emulator.arm("GET", emulator.rgPath("nope"));
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: "ResourceGroupNotFound", message: "Resource group 'nope' could not be found." } });
  });
});

describe("virtual machines", () => {
  // Validation and 404s: test/workers-arm/ (in-runtime).
  it("accepts the CLI's no-space type spelling for system-assigned and answers in Azure's", async () => {
    const r = await emulator.arm("PUT", emulator.vmPath("arm-rg", "spelled"), { location: "westus", identity: { type: "systemassigned" } });
    expect(r.status).toBe(201);
    expect(r.body.identity.type).toBe("SystemAssigned");
  });

  it("DELETE of a missing VM is 204; listImdsEndpoint of a missing VM is 404", async () => {
    expect((await emulator.arm("DELETE", emulator.vmPath("arm-rg", "ghost"))).status).toBe(204);
    const r = await emulator.arm("POST", emulator.vmPath("arm-rg", "ghost", "/listImdsEndpoint"));
    expect(r.status).toBe(404);
  });

  it("$expand=instanceView carries the power state", async () => {
    const r = await emulator.arm("GET", emulator.vmPath("arm-rg", "spelled").replace("?", "?$expand=instanceView&"));
    expect(r.body.properties.instanceView.statuses.map((s: { code: string }) => s.code)).toContain("PowerState/running");
  });

  it("routes paths with doubled slashes as Azure does", async () => {
    const r = await emulator.arm("GET", `/${emulator.subscriptionPath}/resourcegroups/arm-rg?api-version=${ARM_API}`);
    expect(r.status).toBe(200);
  });
});
