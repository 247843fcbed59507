// Microsoft Graph, the directory view: managed identities' principals as Resource Manager made
// them, $filter and paging over the listing index, application registrations whose secrets work
// at the authority with the unmodified @azure/identity, Resource Manager RBAC for an application
// principal, revocation by deletion, the lock on managed identities, and directory rights.
import { ClientSecretCredential } from "@azure/identity";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARM_API, TestEmulator, decodeJwt, imds, type GraphAnswer } from "../support/emulator.ts";

const emulator = new TestEmulator();
const MSI_API = "2024-11-30";
const AUTHZ_API = "2022-04-01";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const ARM_SCOPE = "https://management.azure.com/.default";

let adminGraphToken: string;
let vm: { name: string; id: string; vmId: string; principalId: string };
let uami: { id: string; principalId: string; clientId: string };


function graph(method: string, path: string, body?: unknown, token: string | null = adminGraphToken): Promise<GraphAnswer> {
  return emulator.graph(method, path, body, token);
}

function credentialFor(clientId: string, secret: string): ClientSecretCredential {
  const e = emulator.endpoints;
  return new ClientSecretCredential(e.tenantId, clientId, secret, { authorityHost: e.login, disableInstanceDiscovery: true });
}

/** The client-credentials grant, raw, so the authority's refusal can be read. */
async function tokenRequest(clientId: string, secret: string, scope = ARM_SCOPE) {
  const e = emulator.endpoints;
  const r = await fetch(`${e.login}/${e.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: secret, scope }),
  });
  return { status: r.status, body: await r.json() };
}

/** The admin's v2 token request for one scope. */
function adminTokenRequest(scope: string) {
  const e = emulator.endpoints;
  return tokenRequest(e.admin.clientId, e.admin.clientSecret, scope);
}

function expectGraphError(answer: GraphAnswer, status: number, code: string) {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.body.error.code).toBe(code);
  expect(answer.body.error.innerError).toMatchObject({ "request-id": expect.any(String), "client-request-id": expect.any(String) });
  expect(answer.body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
}

/** Every page of a collection, following @odata.nextLink. */
async function allPages(path: string, token = adminGraphToken): Promise<any[]> {
  const items: any[] = [];
  let next: string | undefined = path;
  while (next) {
    const page = await graph("GET", next, undefined, token);
    expect(page.status, page.text).toBe(200);
    items.push(...page.body.value);
    next = page.body["@odata.nextLink"];
  }
  return items;
}

const filter = (clause: string) => `/v1.0/servicePrincipals?$filter=${encodeURIComponent(clause)}`;

beforeAll(async () => {
  await emulator.start();
  adminGraphToken = (await emulator.adminCredential().getToken(GRAPH_SCOPE)).token;
  await emulator.createResourceGroup("graph-rg");
  const created = await emulator.createVm("graph-rg", "graph-vm", { type: "SystemAssigned" });
  vm = { name: "graph-vm", id: created.id, vmId: created.properties.vmId, principalId: created.identity.principalId };
  const identity = await emulator.arm(
    "PUT",
    `${emulator.subscriptionPath}/resourceGroups/graph-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/graph-identity?api-version=${MSI_API}`,
    { location: "westus" },
  );
  expect(identity.status).toBe(201);
  uami = { id: identity.body.id, principalId: identity.body.properties.principalId, clientId: identity.body.properties.clientId };
});
afterAll(() => emulator.dispose());

describe("authentication", () => {
  it("accepts Graph tokens of the authority by URI or app id, and refuses others with Graph's 401", async () => {
    const me = await graph("GET", `/v1.0/servicePrincipals/${emulator.endpoints.admin.objectId}`);
    expect(me.status, me.text).toBe(200);
    expect(decodeJwt(adminGraphToken).payload.aud).toBe("https://graph.microsoft.com");

    // A v1 token for Graph's application id.
    const e = emulator.endpoints;
    const v1 = await fetch(`${e.login}/${e.tenantId}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: e.admin.clientId,
        client_secret: e.admin.clientSecret,
        resource: "00000003-0000-0000-c000-000000000000",
      }),
    });
    const byAppId = (await v1.json()).access_token;
    expect((await graph("GET", `/v1.0/servicePrincipals/${e.admin.objectId}`, undefined, byAppId)).status).toBe(200);

    const missing = await graph("GET", "/v1.0/servicePrincipals", undefined, null);
    expectGraphError(missing, 401, "InvalidAuthenticationToken");
    expect(missing.body.error.message).toBe("Access token is empty.");
    expect(missing.headers.get("www-authenticate")).toContain('client_id="00000003-0000-0000-c000-000000000000"');

    const armToken = await emulator.adminToken();
    const wrongAudience = await graph("GET", "/v1.0/servicePrincipals", undefined, armToken);
    expectGraphError(wrongAudience, 401, "InvalidAuthenticationToken");
    expect(wrongAudience.body.error.message).toBe("Access token validation failure. Invalid audience.");

    const [header, payload] = adminGraphToken.split(".");
    const forged = `${header}.${payload}.${Buffer.from("not the signature").toString("base64url")}`;
    expectGraphError(await graph("GET", "/v1.0/servicePrincipals", undefined, forged), 401, "InvalidAuthenticationToken");
    expectGraphError(await graph("GET", "/v1.0/servicePrincipals", undefined, "garbage"), 401, "InvalidAuthenticationToken");
  });
});

describe("the emulator's own Graph URL as a resource (az with a registered cloud)", () => {
  it("issues tokens for {graph}//.default and {graph}/.default, aud the resource as sent, and Graph accepts both", async () => {
    const own = emulator.endpoints.graph;
    // az asks for `{microsoftGraphResourceId}/.default` with the resource id `https://host:port/`.
    for (const [scope, audience] of [
      [`${own}//.default`, `${own}/`],
      [`${own}/.default`, own],
    ] as const) {
      const token = await adminTokenRequest(scope);
      expect(token.status, JSON.stringify(token.body)).toBe(200);
      expect(decodeJwt(token.body.access_token).payload.aud).toBe(audience);
      const me = await graph("GET", `/v1.0/servicePrincipals/${emulator.endpoints.admin.objectId}`, undefined, token.body.access_token);
      expect(me.status, me.text).toBe(200);
    }
    // Resource Manager's own URL is a resource too; the audience is Resource Manager's to check.
    const arm = await adminTokenRequest(`${emulator.endpoints.arm}/.default`);
    expect(arm.status, JSON.stringify(arm.body)).toBe(200);
    expect(decodeJwt(arm.body.access_token).payload.aud).toBe(emulator.endpoints.arm);
    // A token for Resource Manager's URL is not one for Graph.
    expectGraphError(await graph("GET", "/v1.0/servicePrincipals", undefined, arm.body.access_token), 401, "InvalidAuthenticationToken");
  });

  it("refuses lookalikes of its own URLs with AADSTS500011: only the whole origin matches", async () => {
    const own = emulator.endpoints.graph;
    for (const resource of [`${own}.evil`, `${own}0`, `${own}/v1.0`, own.replace("https://", "http://"), `${own}@evil.example`]) {
      const refused = await adminTokenRequest(`${resource}/.default`);
      expect(refused.status, resource).toBe(400);
      expect(refused.body.error).toBe("invalid_resource");
      expect(refused.body.error_codes, resource).toEqual([500011]);
    }
  });
});

describe("managed identities in the directory", () => {
  it("shows a VM's system-assigned principal as Graph does, without credentials' secrets", async () => {
    const r = await graph("GET", `/v1.0/servicePrincipals/${vm.principalId}`);
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get("content-type")).toContain("application/json");
    expect(r.body["@odata.context"]).toBe(`${emulator.endpoints.graph}/v1.0/$metadata#servicePrincipals/$entity`);
    expect(r.body).toMatchObject({
      id: vm.principalId,
      appId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      displayName: vm.name,
      servicePrincipalType: "ManagedIdentity",
      alternativeNames: ["isExplicit=False", vm.id],
      accountEnabled: true,
      appOwnerOrganizationId: null,
      passwordCredentials: [],
    });
    expect(r.body.servicePrincipalNames).toEqual([r.body.appId, expect.stringMatching(/^https:\/\/identity\.azure\.net\/[A-Za-z0-9+/]{43}=$/)]);
    expect(r.body.keyCredentials).toHaveLength(1);
    expect(r.body.keyCredentials[0]).toMatchObject({
      type: "AsymmetricX509Cert",
      usage: "Verify",
      key: null,
      customKeyIdentifier: expect.stringMatching(/^[0-9A-F]{40}$/),
      displayName: `CN=${vm.vmId}`,
    });
    expect(r.text).not.toMatch(/secretHash|privateKey|"certificate"|x5t/i);
  });

  it("shows a user-assigned identity's principal, its appId the identity's client id", async () => {
    const r = await graph("GET", `/v1.0/servicePrincipals/${uami.principalId}`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      id: uami.principalId,
      appId: uami.clientId,
      displayName: "graph-identity",
      servicePrincipalType: "ManagedIdentity",
      alternativeNames: ["isExplicit=True", uami.id],
      accountEnabled: true,
      appOwnerOrganizationId: null,
    });
    expect(r.body.servicePrincipalNames[0]).toBe(uami.clientId);
  });

  it("filters by appId, displayName and servicePrincipalType, lists and pages everything", async () => {
    const byAppId = await graph("GET", filter(`appId eq '${uami.clientId}'`));
    expect(byAppId.status, byAppId.text).toBe(200);
    expect(byAppId.body["@odata.context"]).toBe(`${emulator.endpoints.graph}/v1.0/$metadata#servicePrincipals`);
    expect(byAppId.body.value.map((p: any) => p.id)).toEqual([uami.principalId]);
    expect((await graph("GET", filter(`appId eq '${uami.clientId.toUpperCase()}'`))).body.value).toHaveLength(1);

    const byName = await graph("GET", filter(`displayName eq '${vm.name.toUpperCase()}'`));
    expect(byName.body.value.map((p: any) => p.id)).toEqual([vm.principalId]);
    expect((await graph("GET", filter("displayName eq 'no such name'"))).body.value).toEqual([]);
    // Quotes in values are doubled, as OData writes them.
    expect((await graph("GET", filter("displayName eq 'it''s not there'"))).status).toBe(200);

    const managed = await graph("GET", filter("servicePrincipalType eq 'ManagedIdentity'"));
    const managedIds = managed.body.value.map((p: any) => p.id);
    expect(managedIds).toEqual(expect.arrayContaining([vm.principalId, uami.principalId]));
    expect(managed.body.value.every((p: any) => p.servicePrincipalType === "ManagedIdentity")).toBe(true);
    const applications = await graph("GET", filter("servicePrincipalType eq 'Application'"));
    expect(applications.body.value.map((p: any) => p.id)).toContain(emulator.endpoints.admin.objectId);
    expect(applications.body.value.map((p: any) => p.id)).not.toContain(vm.principalId);

    const all = await graph("GET", "/v1.0/servicePrincipals");
    expect(all.status).toBe(200);
    const allIds = all.body.value.map((p: any) => p.id);
    expect(allIds).toEqual(expect.arrayContaining([vm.principalId, uami.principalId, emulator.endpoints.admin.objectId]));
    const paged = await allPages("/v1.0/servicePrincipals?$top=1");
    expect(paged.map((p) => p.id).sort()).toEqual([...allIds].sort());

    const selected = await graph("GET", `${filter(`appId eq '${uami.clientId}'`)}&$select=id,displayName`);
    expect(selected.body.value).toEqual([{ id: uami.principalId, displayName: "graph-identity" }]);
  });

  it("refuses filters it does not evaluate, and answers unknown ids with Graph's 404", async () => {
    const unsupported = [
      "endswith(displayName,'vm')",
      "startswith(appId,'a')",
      "accountEnabled eq true",
      `id eq '${vm.principalId}'`,
      "tags/any(c:c eq 'x')",
      // The lambda must compare its own variable.
      `servicePrincipalNames/any(c:d eq '${uami.clientId}')`,
      `servicePrincipalNames/any(c:c ne '${uami.clientId}')`,
      // One clause only: a conjunction is not evaluated.
      `servicePrincipalNames/any(c:c eq '${uami.clientId}') and displayName eq 'graph-identity'`,
      "startswith(displayName,'graph') or startswith(displayName,'mie')",
    ];
    for (const clause of unsupported) {
      const r = await graph("GET", filter(clause));
      expectGraphError(r, 400, "Request_UnsupportedQuery");
    }
    expect((await graph("GET", filter(`id eq '${vm.principalId}'`))).body.error.message).toBe(
      "Unsupported or invalid query filter clause specified for property 'id' of resource 'ServicePrincipal'.",
    );
    expect((await graph("GET", filter("startswith(appId,'a')"))).body.error.message).toBe(
      "Unsupported or invalid query filter clause specified for property 'appId' of resource 'ServicePrincipal'.",
    );
    expectGraphError(await graph("GET", "/v1.0/servicePrincipals?$orderby=displayName"), 400, "Request_UnsupportedQuery");
    expectGraphError(await graph("GET", "/v1.0/servicePrincipals?$top=1000"), 400, "Request_BadRequest");

    const unknown = randomUUID();
    const missing = await graph("GET", `/v1.0/servicePrincipals/${unknown}`);
    expectGraphError(missing, 404, "Request_ResourceNotFound");
    expect(missing.body.error.message).toBe(`Resource '${unknown}' does not exist or one of its queried reference-property objects are not present.`);
    expectGraphError(await graph("GET", "/v1.0/servicePrincipals/not-a-guid"), 400, "Request_BadRequest");
    expectGraphError(await graph("GET", `/v1.0/applications/${unknown}`), 404, "Request_ResourceNotFound");
  });

  it("filters by servicePrincipalNames/any: a managed identity's client id and its identity name, an application's appId", async () => {
    const shown = (await graph("GET", `/v1.0/servicePrincipals/${uami.principalId}`)).body;
    const [clientIdName, identityName] = shown.servicePrincipalNames;
    expect(clientIdName).toBe(uami.clientId);
    // The name Azure lists for the identity's resource id.
    expect(identityName).toMatch(/^https:\/\/identity\.azure\.net\//);

    const byClientId = await graph("GET", filter(`servicePrincipalNames/any(c:c eq '${uami.clientId}')`));
    expect(byClientId.status, byClientId.text).toBe(200);
    expect(byClientId.body["@odata.context"]).toBe(`${emulator.endpoints.graph}/v1.0/$metadata#servicePrincipals`);
    expect(byClientId.body.value.map((p: any) => p.id)).toEqual([uami.principalId]);
    // Any lambda variable, whitespace, case-insensitive values.
    for (const clause of [
      `servicePrincipalNames/any(x:x eq '${uami.clientId.toUpperCase()}')`,
      `servicePrincipalNames/any( s : s eq '${identityName}' )`,
      `servicePrincipalNames/any(c:c eq '${identityName.toLowerCase()}')`,
    ]) {
      const r = await graph("GET", filter(clause));
      expect(r.status, r.text).toBe(200);
      expect(r.body.value.map((p: any) => p.id), clause).toEqual([uami.principalId]);
    }
    // The VM's own identity is told apart from the user-assigned one.
    const vmNames = (await graph("GET", `/v1.0/servicePrincipals/${vm.principalId}`)).body.servicePrincipalNames;
    expect((await graph("GET", filter(`servicePrincipalNames/any(c:c eq '${vmNames[1]}')`))).body.value.map((p: any) => p.id)).toEqual([vm.principalId]);
    // An application's principal: its appId.
    const admin = emulator.endpoints.admin;
    expect((await graph("GET", filter(`servicePrincipalNames/any(c:c eq '${admin.clientId}')`))).body.value.map((p: any) => p.id)).toEqual([admin.objectId]);

    // What the view does not list does not match: the resource id itself, an unknown value.
    for (const value of [uami.id, randomUUID(), "it''s nobody"]) {
      const none = await graph("GET", filter(`servicePrincipalNames/any(c:c eq '${value}')`));
      expect(none.status, none.text).toBe(200);
      expect(none.body.value).toEqual([]);
    }
  });

  it("filters by startswith(displayName,…), case-insensitively, and pages the matches", async () => {
    const ids = (r: GraphAnswer) => r.body.value.map((p: any) => p.id);
    const lower = await graph("GET", filter("startswith(displayName,'graph-')"));
    expect(lower.status, lower.text).toBe(200);
    expect(ids(lower)).toEqual(expect.arrayContaining([vm.principalId, uami.principalId]));
    expect(lower.body.value.every((p: any) => p.displayName.toLowerCase().startsWith("graph-"))).toBe(true);
    expect(ids(lower)).not.toContain(emulator.endpoints.admin.objectId);
    const upper = await graph("GET", filter("startswith(displayName, 'GRAPH-')"));
    expect(ids(upper).sort()).toEqual(ids(lower).sort());
    expect(ids(await graph("GET", filter("startswith(displayName,'graph-i')")))).toEqual([uami.principalId]);
    // The prefix is literal: LIKE's wildcards match only themselves.
    expect((await graph("GET", filter("startswith(displayName,'graph_')"))).body.value).toEqual([]);
    expect((await graph("GET", filter("startswith(displayName,'%')"))).body.value).toEqual([]);
    expect((await graph("GET", filter("startswith(displayName,'nothing starts like this')"))).body.value).toEqual([]);

    // $top and $skiptoken page the filtered set: every page is filtered, nothing is lost.
    const first = await graph("GET", `${filter("startswith(displayName,'graph-')")}&$top=1`);
    expect(first.body.value).toHaveLength(1);
    expect(first.body["@odata.nextLink"]).toContain("skiptoken");
    const paged = await allPages(`${filter("startswith(displayName,'graph-')")}&$top=1`);
    expect(paged.map((p) => p.id).sort()).toEqual(ids(lower).sort());
    const pagedNames = await allPages(`${filter(`servicePrincipalNames/any(c:c eq '${uami.clientId}')`)}&$top=1`);
    expect(pagedNames.map((p) => p.id)).toEqual([uami.principalId]);
  });

  it("lists principals with their servicePrincipalNames, as GET shows them", async () => {
    const listed = await allPages("/v1.0/servicePrincipals");
    for (const id of [vm.principalId, uami.principalId, emulator.endpoints.admin.objectId]) {
      const entry = listed.find((p) => p.id === id);
      const { "@odata.context": _, ...shown } = (await graph("GET", `/v1.0/servicePrincipals/${id}`)).body;
      expect(entry).toEqual(shown);
      expect(entry.servicePrincipalNames.length).toBeGreaterThan(0);
    }
  });

  it("refuses to delete or add credentials to a managed identity's principal: only Resource Manager changes it", async () => {
    const remove = await graph("DELETE", `/v1.0/servicePrincipals/${vm.principalId}`);
    expectGraphError(remove, 400, "Request_BadRequest");
    expect(remove.body.error.message).toContain("is a managed identity");
    expect(remove.body.error.message).toContain("only Azure Resource Manager can change");
    const addPassword = await graph("POST", `/v1.0/servicePrincipals/${uami.principalId}/addPassword`, { passwordCredential: { displayName: "x" } });
    expectGraphError(addPassword, 400, "Request_BadRequest");
    expect(addPassword.body.error.message).toContain("is a managed identity");
    const addKey = await graph("POST", `/v1.0/servicePrincipals/${vm.principalId}/addKey`, { keyCredential: {}, proof: "x" });
    expectGraphError(addKey, 400, "Request_BadRequest");
    expect(addKey.body.error.message).toContain("is a managed identity");
    expect((await graph("GET", `/v1.0/servicePrincipals/${vm.principalId}`)).status).toBe(200);
    expect((await graph("GET", `/v1.0/servicePrincipals/${uami.principalId}`)).body.passwordCredentials).toEqual([]);
  });

  it("keeps the listing in step with Resource Manager: a deleted identity's principal is gone", async () => {
    const other = await emulator.createVm("graph-rg", "short-lived", { type: "SystemAssigned" });
    const principalId = other.identity.principalId;
    expect((await graph("GET", filter("displayName eq 'short-lived'"))).body.value.map((p: any) => p.id)).toEqual([principalId]);
    expect((await emulator.arm("DELETE", emulator.vmPath("graph-rg", "short-lived"))).status).toBe(200);
    expectGraphError(await graph("GET", `/v1.0/servicePrincipals/${principalId}`), 404, "Request_ResourceNotFound");
    expect((await graph("GET", filter("displayName eq 'short-lived'"))).body.value).toEqual([]);
    const all = await allPages("/v1.0/servicePrincipals");
    expect(all.map((p) => p.id)).not.toContain(principalId);
  });
});

describe("directoryObjects/getByIds", () => {
  const AZ_TYPES = ["user", "group", "servicePrincipal", "directoryObjectPartnerReference"];
  const getByIds = (body: unknown, token: string | null = adminGraphToken) => graph("POST", "/v1.0/directoryObjects/getByIds", body, token);

  it("answers the principals among the ids, as GET shows them, typed, and leaves unknown ids out", async () => {
    const admin = emulator.endpoints.admin;
    const unknown = randomUUID();
    const r = await getByIds({ ids: [vm.principalId, unknown, admin.objectId.toUpperCase(), uami.principalId], types: AZ_TYPES });
    expect(r.status, r.text).toBe(200);
    expect(r.body["@odata.context"]).toBe(`${emulator.endpoints.graph}/v1.0/$metadata#directoryObjects`);
    expect(r.body.value.map((o: any) => o.id)).toEqual([vm.principalId, admin.objectId, uami.principalId]);
    for (const entry of r.body.value) {
      expect(entry["@odata.type"]).toBe("#microsoft.graph.servicePrincipal");
      const { "@odata.context": _, ...shown } = (await graph("GET", `/v1.0/servicePrincipals/${entry.id}`)).body;
      const { "@odata.type": __, ...resource } = entry;
      expect(resource).toEqual(shown);
    }
    // az shows the first name as the assignment's principalName.
    expect(r.body.value[2].servicePrincipalNames[0]).toBe(uami.clientId);
    expect(r.text).not.toMatch(/secretHash|privateKey/);

    // Only unknown ids, a repeated id, no ids at all.
    expect((await getByIds({ ids: [unknown] })).body.value).toEqual([]);
    expect((await getByIds({ ids: [vm.principalId, vm.principalId] })).body.value.map((o: any) => o.id)).toEqual([vm.principalId]);
    expect((await getByIds({ ids: [] })).body.value).toEqual([]);
  });

  it("honours types: case-insensitive names, servicePrincipal or directoryObject find principals, other types find nothing", async () => {
    const ids = [vm.principalId];
    for (const types of [undefined, [], ["SERVICEPRINCIPAL"], ["microsoft.graph.servicePrincipal"], ["directoryObject"], ["user", "servicePrincipal"]]) {
      const r = await getByIds({ ids, ...(types ? { types } : {}) });
      expect(r.status, r.text).toBe(200);
      expect(r.body.value.map((o: any) => o.id), JSON.stringify(types)).toEqual([vm.principalId]);
    }
    for (const types of [["user", "group"], ["Device"], ["application"]]) {
      const r = await getByIds({ ids, types });
      expect(r.status, r.text).toBe(200);
      expect(r.body.value, JSON.stringify(types)).toEqual([]);
    }
    const unknownType = await getByIds({ ids, types: ["unicorn"] });
    expectGraphError(unknownType, 400, "Request_BadRequest");
    expect(unknownType.body.error.message).toContain("unicorn");
    expectGraphError(await getByIds({ ids, types: "servicePrincipal" }), 400, "Request_BadRequest");
    expectGraphError(await getByIds({ ids, types: [42] }), 400, "Request_BadRequest");
  });

  it("refuses malformed input with Graph's 400s", async () => {
    expectGraphError(await getByIds({}), 400, "Request_BadRequest");
    expectGraphError(await getByIds({ types: AZ_TYPES }), 400, "Request_BadRequest");
    expectGraphError(await getByIds({ ids: null }), 400, "Request_BadRequest");
    expectGraphError(await getByIds({ ids: vm.principalId }), 400, "Request_BadRequest");
    expectGraphError(await getByIds({ ids: { id: vm.principalId } }), 400, "Request_BadRequest");
    const malformed = await getByIds({ ids: [vm.principalId, "not-a-guid"] });
    expectGraphError(malformed, 400, "Request_BadRequest");
    expect(malformed.body.error.message).toBe("Invalid object identifier 'not-a-guid'.");
    const notString = await getByIds({ ids: [42] });
    expectGraphError(notString, 400, "Request_BadRequest");
    expect(notString.body.error.message).toBe("Invalid object identifier '42'.");
    const tooMany = await getByIds({ ids: Array.from({ length: 1001 }, () => randomUUID()) });
    expectGraphError(tooMany, 400, "Request_BadRequest");
    // 1000 is the limit, not over it.
    expect((await getByIds({ ids: [...Array.from({ length: 999 }, () => randomUUID()), vm.principalId] })).body.value.map((o: any) => o.id)).toEqual([
      vm.principalId,
    ]);

    const notJson = await fetch(`${emulator.endpoints.graph}/v1.0/directoryObjects/getByIds`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminGraphToken}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.code).toBe("BadRequest");
    expectGraphError(await getByIds([vm.principalId]), 400, "BadRequest");
  });

  it("is served at Graph's case-insensitive path, answers other methods with 405, and needs a token", async () => {
    const r = await graph("POST", "/v1.0/DirectoryObjects/GetByIds", { ids: [vm.principalId] });
    expect(r.status, r.text).toBe(200);
    expect(r.body.value.map((o: any) => o.id)).toEqual([vm.principalId]);
    expectGraphError(await graph("GET", "/v1.0/directoryObjects/getByIds"), 405, "Request_BadRequest");
    expectGraphError(await graph("PUT", "/v1.0/directoryObjects/getByIds", { ids: [] }), 405, "Request_BadRequest");
    expectGraphError(await getByIds({ ids: [vm.principalId] }, null), 401, "InvalidAuthenticationToken");
  });
});

describe("applications", () => {
  it("registers an application whose secret signs in with ClientSecretCredential and is authorized by RBAC", async () => {
    const created = await graph("POST", "/v1.0/applications", { displayName: "ci-deployer" });
    expect(created.status, created.text).toBe(201);
    expect(created.body["@odata.context"]).toBe(`${emulator.endpoints.graph}/v1.0/$metadata#applications/$entity`);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      appId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      displayName: "ci-deployer",
      signInAudience: "AzureADMyOrg",
      passwordCredentials: [],
      keyCredentials: [],
      createdDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    const app = created.body;
    expect((await graph("GET", `/v1.0/applications/${app.id}`)).body).toMatchObject({ id: app.id, appId: app.appId });

    const sp = await graph("POST", "/v1.0/servicePrincipals", { appId: app.appId });
    expect(sp.status, sp.text).toBe(201);
    expect(sp.body).toMatchObject({
      appId: app.appId,
      displayName: "ci-deployer",
      servicePrincipalType: "Application",
      appOwnerOrganizationId: emulator.endpoints.tenantId,
      servicePrincipalNames: [app.appId],
      accountEnabled: true,
      alternativeNames: [],
    });
    expect(sp.body.id).not.toBe(app.id);
    expect((await graph("GET", filter(`appId eq '${app.appId}'`))).body.value.map((p: any) => p.id)).toEqual([sp.body.id]);
    expectGraphError(await graph("POST", "/v1.0/servicePrincipals", { appId: app.appId }), 409, "Request_MultipleObjectsWithSameKeyValue");
    const orphan = randomUUID();
    const noApp = await graph("POST", "/v1.0/servicePrincipals", { appId: orphan });
    expectGraphError(noApp, 400, "Request_BadRequest");
    expect(noApp.body.error.message).toBe(`The appId '${orphan}' of the service principal does not reference a valid application object.`);

    const added = await graph("POST", `/v1.0/applications/${app.id}/addPassword`, { passwordCredential: { displayName: "ci secret" } });
    expect(added.status, added.text).toBe(200);
    const secret = added.body.secretText as string;
    expect(added.body).toMatchObject({
      customKeyIdentifier: null,
      displayName: "ci secret",
      hint: secret.slice(0, 3),
      keyId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      startDateTime: expect.any(String),
      endDateTime: expect.any(String),
    });
    expect(secret).toHaveLength(40);
    // Graph never shows a secret again.
    const reread = await graph("GET", `/v1.0/applications/${app.id}`);
    expect(reread.body.passwordCredentials).toEqual([expect.objectContaining({ keyId: added.body.keyId, hint: secret.slice(0, 3), secretText: null })]);
    expect(reread.text).not.toContain(secret);
    expect(reread.text).not.toMatch(/secretHash/);

    const credential = credentialFor(app.appId, secret);
    const armToken = (await credential.getToken(ARM_SCOPE)).token;
    expect(decodeJwt(armToken).payload).toMatchObject({ oid: sp.body.id, appid: app.appId, appidacr: "1" });
    const groups = `${emulator.subscriptionPath}/resourcegroups?api-version=${ARM_API}`;
    const denied = await emulator.arm("GET", groups, undefined, armToken);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("AuthorizationFailed");
    expect(denied.body.error.message).toContain(sp.body.id);

    const sub = emulator.endpoints.subscriptionId;
    const grant = await emulator.arm("PUT", `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=${AUTHZ_API}`, {
      properties: {
        roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
        principalId: sp.body.id,
        principalType: "ServicePrincipal",
      },
    });
    expect(grant.status, JSON.stringify(grant.body)).toBe(201);
    const allowed = await emulator.arm("GET", groups, undefined, armToken);
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
    expect(allowed.body.value.map((g: any) => g.name)).toContain("graph-rg");

    // removePassword revokes the secret at once.
    const removed = await graph("POST", `/v1.0/applications/${app.id}/removePassword`, { keyId: added.body.keyId });
    expect(removed.status, removed.text).toBe(204);
    const revoked = await tokenRequest(app.appId, secret);
    expect(revoked.body.error_codes).toEqual([7000215]);
    expectGraphError(await graph("POST", `/v1.0/applications/${app.id}/removePassword`, { keyId: added.body.keyId }), 400, "Request_BadRequest");
  });

  it("deleting the application deletes its principal and the authority stops issuing tokens for it at once", async () => {
    const app = (await graph("POST", "/v1.0/applications", { displayName: "short-lived-app" })).body;
    const sp = (await graph("POST", "/v1.0/servicePrincipals", { appId: app.appId })).body;
    const secret = (await graph("POST", `/v1.0/applications/${app.id}/addPassword`, {})).body.secretText;
    expect((await tokenRequest(app.appId, secret)).status).toBe(200);

    const deleted = await graph("DELETE", `/v1.0/applications/${app.id}`);
    expect(deleted.status, deleted.text).toBe(204);
    const refused = await tokenRequest(app.appId, secret);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: "unauthorized_client", error_codes: [700016] });
    await expect(credentialFor(app.appId, secret).getToken(ARM_SCOPE)).rejects.toThrow(/700016/);
    expectGraphError(await graph("GET", `/v1.0/applications/${app.id}`), 404, "Request_ResourceNotFound");
    expectGraphError(await graph("GET", `/v1.0/servicePrincipals/${sp.id}`), 404, "Request_ResourceNotFound");
    expect((await graph("GET", filter(`appId eq '${app.appId}'`))).body.value).toEqual([]);
    expectGraphError(await graph("DELETE", `/v1.0/applications/${app.id}`), 404, "Request_ResourceNotFound");
  });

  it("an application's principal can be deleted and created again; the application's secrets then work for the new one", async () => {
    const app = (await graph("POST", "/v1.0/applications", { displayName: "recreated" })).body;
    const first = (await graph("POST", "/v1.0/servicePrincipals", { appId: app.appId })).body;
    const secret = (await graph("POST", `/v1.0/applications/${app.id}/addPassword`, { passwordCredential: { endDateTime: "2099-01-01T00:00:00Z" } })).body;
    expect(secret.endDateTime).toBe("2099-01-01T00:00:00.000Z");
    expect((await graph("DELETE", `/v1.0/servicePrincipals/${first.id}`)).status).toBe(204);
    expect((await tokenRequest(app.appId, secret.secretText)).body.error_codes).toEqual([700016]);
    const second = (await graph("POST", "/v1.0/servicePrincipals", { appId: app.appId })).body;
    expect(second.id).not.toBe(first.id);
    const token = await tokenRequest(app.appId, secret.secretText);
    expect(token.status).toBe(200);
    expect(decodeJwt(token.body.access_token).payload.oid).toBe(second.id);

    // A secret of the principal itself works too; Graph shows it on the principal.
    const own = await graph("POST", `/v1.0/servicePrincipals/${second.id}/addPassword`, { passwordCredential: { displayName: "sp secret" } });
    expect(own.status, own.text).toBe(200);
    expect((await tokenRequest(app.appId, own.body.secretText)).status).toBe(200);
    const shown = await graph("GET", `/v1.0/servicePrincipals/${second.id}`);
    expect(shown.body.passwordCredentials).toEqual([expect.objectContaining({ keyId: own.body.keyId, secretText: null, displayName: "sp secret" })]);
    expect(shown.text).not.toContain(own.body.secretText);
    expect((await graph("POST", `/v1.0/servicePrincipals/${second.id}/removePassword`, { keyId: own.body.keyId })).status).toBe(204);
    expect((await tokenRequest(app.appId, own.body.secretText)).body.error_codes).toEqual([7000215]);
  });

  it("validates what it is given", async () => {
    expectGraphError(await graph("POST", "/v1.0/applications", {}), 400, "Request_BadRequest");
    const badJson = await fetch(`${emulator.endpoints.graph}/v1.0/applications`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminGraphToken}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).error.code).toBe("BadRequest");
    expectGraphError(await graph("POST", "/v1.0/servicePrincipals", {}), 400, "Request_BadRequest");
    const app = (await graph("POST", "/v1.0/applications", { displayName: "validated" })).body;
    expectGraphError(
      await graph("POST", `/v1.0/applications/${app.id}/addPassword`, { passwordCredential: { endDateTime: "2000-01-01T00:00:00Z" } }),
      400,
      "Request_BadRequest",
    );
    expectGraphError(await graph("POST", `/v1.0/applications/${app.id}/removePassword`, {}), 400, "Request_BadRequest");
    expectGraphError(await graph("POST", `/v1.0/applications/${randomUUID()}/addPassword`, {}), 404, "Request_ResourceNotFound");
    expectGraphError(await graph("GET", "/v1.0/users"), 400, "BadRequest");
    expectGraphError(await graph("PUT", `/v1.0/applications/${app.id}`, {}), 405, "Request_BadRequest");
  });
});

describe("directory rights", () => {
  it("lets any principal of the tenant read, and only the admin write (403 Authorization_RequestDenied)", async () => {
    const app = (await graph("POST", "/v1.0/applications", { displayName: "unprivileged" })).body;
    const sp = (await graph("POST", "/v1.0/servicePrincipals", { appId: app.appId })).body;
    const secret = (await graph("POST", `/v1.0/applications/${app.id}/addPassword`, {})).body.secretText;
    const appToken = (await credentialFor(app.appId, secret).getToken(GRAPH_SCOPE)).token;

    expect((await graph("GET", `/v1.0/servicePrincipals/${vm.principalId}`, undefined, appToken)).status).toBe(200);
    expect((await graph("GET", filter(`appId eq '${app.appId}'`), undefined, appToken)).body.value).toHaveLength(1);
    expect((await graph("GET", `/v1.0/applications/${app.id}`, undefined, appToken)).status).toBe(200);
    const byIds = await graph("POST", "/v1.0/directoryObjects/getByIds", { ids: [vm.principalId, sp.id] }, appToken);
    expect(byIds.status, byIds.text).toBe(200);
    expect(byIds.body.value.map((o: any) => o.id)).toEqual([vm.principalId, sp.id]);

    const writes: [string, string, unknown][] = [
      ["POST", "/v1.0/applications", { displayName: "sneaky" }],
      ["POST", `/v1.0/applications/${app.id}/addPassword`, {}],
      ["POST", `/v1.0/applications/${app.id}/removePassword`, { keyId: randomUUID() }],
      ["DELETE", `/v1.0/applications/${app.id}`, undefined],
      ["POST", "/v1.0/servicePrincipals", { appId: app.appId }],
      ["DELETE", `/v1.0/servicePrincipals/${sp.id}`, undefined],
      ["DELETE", `/v1.0/servicePrincipals/${vm.principalId}`, undefined],
      ["POST", `/v1.0/servicePrincipals/${uami.principalId}/addPassword`, {}],
    ];
    for (const [method, path, body] of writes) {
      const r = await graph(method, path, body, appToken);
      expectGraphError(r, 403, "Authorization_RequestDenied");
      expect(r.body.error.message).toBe("Insufficient privileges to complete the operation.");
    }
    expect((await graph("GET", `/v1.0/applications/${app.id}`)).status).toBe(200);

    // A managed identity reads the directory with a token from its VM's IMDS, and cannot write.
    const endpoint = await emulator.imdsEndpoint("graph-rg", vm.name);
    const fromImds = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com`);
    expect(fromImds.status, JSON.stringify(fromImds.body)).toBe(200);
    const miToken = fromImds.body.access_token;
    const self = await graph("GET", `/v1.0/servicePrincipals/${vm.principalId}`, undefined, miToken);
    expect(self.status).toBe(200);
    expect(self.body.id).toBe(decodeJwt(miToken).payload.oid);
    expectGraphError(await graph("POST", "/v1.0/applications", { displayName: "from a vm" }, miToken), 403, "Authorization_RequestDenied");
  });
});

describe("persistence", () => {
  it("keeps applications, their secrets and the listing across a restart", async () => {
    const app = (await graph("POST", "/v1.0/applications", { displayName: "survivor" })).body;
    const sp = (await graph("POST", "/v1.0/servicePrincipals", { appId: app.appId })).body;
    const secret = (await graph("POST", `/v1.0/applications/${app.id}/addPassword`, {})).body.secretText;
    await emulator.stop();
    await emulator.start();
    adminGraphToken = (await emulator.adminCredential().getToken(GRAPH_SCOPE)).token;
    expect((await graph("GET", `/v1.0/applications/${app.id}`)).body.passwordCredentials).toHaveLength(1);
    expect((await graph("GET", filter(`appId eq '${app.appId}'`))).body.value.map((p: any) => p.id)).toEqual([sp.id]);
    expect((await graph("GET", filter("displayName eq 'graph-identity'"))).body.value.map((p: any) => p.id)).toEqual([uami.principalId]);
    expect((await graph("GET", filter(`servicePrincipalNames/any(c:c eq '${uami.clientId}')`))).body.value.map((p: any) => p.id)).toEqual([
      uami.principalId,
    ]);
    expect((await graph("GET", filter(`servicePrincipalNames/any(c:c eq '${app.appId}')`))).body.value.map((p: any) => p.id)).toEqual([sp.id]);
    const token = await tokenRequest(app.appId, secret);
    expect(token.status).toBe(200);
    expect(decodeJwt(token.body.access_token).payload.oid).toBe(sp.id);
  });
});
