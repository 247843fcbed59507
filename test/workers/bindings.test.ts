// Least privilege across service bindings, inside workerd: each of the authority's entrypoints
// offers its one consumer what it needs and nothing else (contracts in shared/bindings/).
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

type Stub = Record<string, unknown> & { fetch(input: string, init?: RequestInit): Promise<Response> };
const entry = (name: string) => (exports as unknown as Record<string, Stub>)[name]!;
const tenant = () => env.TENANT_ID as string;

/** An RPC call to a method the entrypoint does not have must fail, not reach the directory. */
async function refused(stub: Stub, method: string, ...args: unknown[]): Promise<boolean> {
  try {
    await (stub[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    return false;
  } catch {
    return true;
  }
}

const principalInput = (objectId: string) => ({
  tenantId: tenant(),
  objectId,
  appId: crypto.randomUUID(),
  displayName: "bindings-test",
  alternativeNames: ["isExplicit=True", "/subscriptions/x/resourcegroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z"],
  credential: { certificate: "MIIB", x5t: "x", x5tS256: "y", notBefore: new Date().toISOString(), notAfter: new Date(Date.now() + 86_400_000).toISOString() },
});

describe("the authority's entrypoints", () => {
  it("SigningKeys (Key Vault) gives public keys and cannot touch the directory", { timeout: 30_000 }, async () => {
    const keys = (await (entry("SigningKeys").signingKeys as (t: string) => Promise<{ kid: string; d?: string }[]>)(tenant()));
    expect(keys.length).toBeGreaterThan(0);
    expect(keys[0]!.d).toBeUndefined();
    expect(await refused(entry("SigningKeys"), "createManagedIdentityPrincipal", principalInput(crypto.randomUUID()))).toBe(true);
    expect(await refused(entry("SigningKeys"), "deleteServicePrincipal", tenant(), crypto.randomUUID())).toBe(true);
    expect(await refused(entry("SigningKeys"), "listServicePrincipals", tenant(), { top: 10 })).toBe(true);
  });

  it("TokenEndpoint (IMDS) reaches the token endpoints over HTTP and nothing else", async () => {
    const token = await entry("TokenEndpoint").fetch(`https://login.test/${tenant()}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect(token.status).toBe(400);
    expect(((await token.json()) as { error: string }).error).toBe("invalid_request");
    const discovery = await entry("TokenEndpoint").fetch(`https://login.test/${tenant()}/v2.0/.well-known/openid-configuration`);
    expect(discovery.status).toBe(404);
    expect(await refused(entry("TokenEndpoint"), "createManagedIdentityPrincipal", principalInput(crypto.randomUUID()))).toBe(true);
    expect(await refused(entry("TokenEndpoint"), "signingKeys", tenant())).toBe(true);
  });

  it("GraphDirectory (Graph) reads and writes the directory view but cannot create or delete managed identities", async () => {
    const page = await (entry("GraphDirectory").listServicePrincipals as (t: string, q: unknown) => Promise<{ value: unknown[] }>)(tenant(), { top: 5 });
    expect(Array.isArray(page.value)).toBe(true);
    expect(await refused(entry("GraphDirectory"), "createManagedIdentityPrincipal", principalInput(crypto.randomUUID()))).toBe(true);
    expect(await refused(entry("GraphDirectory"), "deleteServicePrincipal", tenant(), crypto.randomUUID())).toBe(true);
    expect(await refused(entry("GraphDirectory"), "resetState")).toBe(true);
  });

  it("ManagedIdentityDirectory (Resource Manager) manages managed-identity principals but not applications or their secrets", async () => {
    const objectId = crypto.randomUUID();
    const created = await (entry("ManagedIdentityDirectory").createManagedIdentityPrincipal as (i: unknown) => Promise<{ id: string }>)(principalInput(objectId));
    expect(created.id).toBe(objectId);
    expect(await refused(entry("ManagedIdentityDirectory"), "createApplication", tenant(), { displayName: "x" })).toBe(true);
    expect(await refused(entry("ManagedIdentityDirectory"), "addServicePrincipalPassword", tenant(), objectId, {})).toBe(true);
    const deleted = await (entry("ManagedIdentityDirectory").deleteServicePrincipal as (t: string, o: string) => Promise<{ deleted: boolean }>)(tenant(), objectId);
    expect(deleted.deleted).toBe(true);
  });

  it("the old all-purpose DirectoryService entrypoint is gone", () => {
    expect((exports as unknown as Record<string, unknown>).DirectoryService).toBeUndefined();
  });
});
