// The identity endpoints inside workerd: IMDS's wire rules, the token flow from a VM host's
// configuration to a token the authority signed (through the real TokenEndpoint binding), what a
// VM host keeps in its Durable Object, and App Service's endpoint refusing what App Service
// refuses. Resource Manager's part (creating the principal, configuring the host) is played by
// the test through ADMIN_DIRECTORY and the worker's MetadataService entrypoint.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createSelfSignedCertificate } from "../../shared/certificates";
import type { ManagedIdentityDirectoryBinding } from "../../shared/bindings/managed-identity-directory";
import type { ImdsIdentity, ImdsRpc, InstanceCompute } from "../../shared/rpc";

interface TestEnv {
  TENANT_ID: string;
  VM_HOSTS: DurableObjectNamespace;
  ADMIN_DIRECTORY: ManagedIdentityDirectoryBinding;
}
const testEnv = env as unknown as TestEnv;
const worker = (exports as unknown as { default: Fetcher }).default;
const metadataService = (exports as unknown as { MetadataService: ImdsRpc }).MetadataService;

const VM_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
const randomKey = () => [...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, "0")).join("");

function compute(): InstanceCompute {
  return {
    azEnvironment: "AzurePublicCloud", location: "westus", name: "vm1", osType: "Linux", provider: "Microsoft.Compute", resourceGroupName: "rg",
    resourceId: VM_ID, subscriptionId: "s", tags: "", tagsList: [], vmId: crypto.randomUUID(), vmSize: "Standard_B1s", zone: "",
    publisher: "", offer: "", sku: "", version: "", osProfile: { adminUsername: "", computerName: "vm1", disablePasswordAuthentication: "false" },
  };
}

/** What Resource Manager does for a VM with a system-assigned identity: the principal, then the host. */
async function vmWithIdentity(): Promise<{ key: string; identity: ImdsIdentity }> {
  const principalId = crypto.randomUUID();
  const clientId = crypto.randomUUID();
  const credential = await createSelfSignedCertificate(principalId, 30);
  await testEnv.ADMIN_DIRECTORY.createManagedIdentityPrincipal({
    tenantId: testEnv.TENANT_ID,
    objectId: principalId,
    appId: clientId,
    displayName: "vm1",
    alternativeNames: ["isExplicit=False", VM_ID],
    credential: { certificate: credential.certificate, x5t: credential.x5t, x5tS256: credential.x5tS256, notBefore: credential.notBefore, notAfter: credential.notAfter },
  });
  const identity: ImdsIdentity = {
    kind: "SystemAssigned",
    clientId,
    principalId,
    tenantId: testEnv.TENANT_ID,
    resourceId: VM_ID,
    credential: { privateKeyPkcs8: credential.privateKeyPkcs8, x5t: credential.x5t },
  };
  const key = randomKey();
  await metadataService.configureVm(key, { vmResourceId: VM_ID, compute: compute(), identities: [identity] });
  return { key, identity };
}

const tokenPath = (key: string, query = "") =>
  `http://169.254.169.254/vms/${key}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net${query}`;
const claims = (token: string) => JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));

describe("IMDS wire rules", () => {
  it("refuses what IMDS refuses, in its flat JSON shape", async () => {
    const key = randomKey();
    const noHeader = await worker.fetch(tokenPath(key));
    expect([noHeader.status, await noHeader.json()]).toEqual([400, { error: "invalid_request", error_description: "Required metadata header not specified" }]);
    const proxied = await worker.fetch(tokenPath(key), { headers: { Metadata: "true", "X-Forwarded-For": "10.0.0.1" } });
    expect(proxied.status).toBe(400);
    const post = await worker.fetch(tokenPath(key), { method: "POST", headers: { Metadata: "true" } });
    expect(post.status).toBe(405);
    const duplicate = await worker.fetch(`${tokenPath(key)}&resource=x`, { headers: { Metadata: "true" } });
    expect(((await duplicate.json()) as { error_description: string }).error_description).toBe("Duplicate query parameter 'resource' is not allowed");
    const unknownVm = await worker.fetch(tokenPath(key), { headers: { Metadata: "true" } });
    expect([unknownVm.status, ((await unknownVm.json()) as { error_description: string }).error_description]).toEqual([400, "Identity not found"]);
    expect((await worker.fetch("http://169.254.169.254/metadata/identity/oauth2/token")).status).toBe(404);
  });
});

describe("the token flow inside the runtime", () => {
  it("a configured VM gets a token the authority signed for its identity; the host keeps its configuration", async () => {
    const { key, identity } = await vmWithIdentity();
    const response = await worker.fetch(tokenPath(key), { headers: { Metadata: "true" } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, string>;
    expect(claims(body.access_token!)).toMatchObject({ oid: identity.principalId, appid: identity.clientId, xms_mirid: VM_ID, aud: "https://vault.azure.net" });
    expect(body.client_id).toBe(identity.clientId);
    const host = testEnv.VM_HOSTS.get(testEnv.VM_HOSTS.idFromName(key));
    const stored = await runInDurableObject(host, (_instance: unknown, state: DurableObjectState) => state.storage.get<{ vmResourceId: string }>("config"));
    expect(stored?.vmResourceId).toBe(VM_ID);
  });

  it("clearVm ends the endpoint at once, cached answers included, and erases the host's storage", async () => {
    const { key } = await vmWithIdentity();
    expect((await worker.fetch(tokenPath(key), { headers: { Metadata: "true" } })).status).toBe(200);
    await metadataService.clearVm(key);
    const after = await worker.fetch(tokenPath(key), { headers: { Metadata: "true" } });
    expect([after.status, ((await after.json()) as { error_description: string }).error_description]).toEqual([400, "Identity not found"]);
    const host = testEnv.VM_HOSTS.get(testEnv.VM_HOSTS.idFromName(key));
    expect((await runInDurableObject(host, (_instance: unknown, state: DurableObjectState) => state.storage.list())).size).toBe(0);
  });
});

describe("App Service's identity endpoint", () => {
  it("answers a site's secret header only, in App Service's error shape otherwise", async () => {
    const { identity } = await vmWithIdentity();
    const key = randomKey();
    const secret = randomKey();
    await metadataService.configureSite(key, { siteResourceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app1", identityHeader: secret, identities: [identity] });
    const url = `http://127.0.0.1/sites/${key}/msi/token?api-version=2019-08-01&resource=https://vault.azure.net`;
    const ok = await worker.fetch(url, { headers: { "X-IDENTITY-HEADER": secret } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { expires_on: string }).expires_on).toMatch(/^\d+$/);
    const wrong = await worker.fetch(url, { headers: { "X-IDENTITY-HEADER": "nope" } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ statusCode: 401, correlationId: expect.any(String) });
    await metadataService.clearSite(key);
    expect((await worker.fetch(url, { headers: { "X-IDENTITY-HEADER": secret } })).status).toBe(401);
  });
});
