// The authority's key storage, inside the Workers runtime: one signing key per tenant, generated
// once and persisted (so tokens keep verifying after restarts), published without private parts.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TenantAuthority } from "../../workers/aad/src/tenant-authority";

/** The authority worker's default export, as the plugin exposes it. */
const worker = (exports as unknown as { default: Fetcher }).default;

interface StoredKey {
  kid: string;
  privateKeyPkcs8: string;
}

describe("TenantAuthority (in workerd)", () => {
  it("generates the signing key once, persists it, and the JWKS carries only its public parts", async () => {
    const tenant = env.TENANT_ID as string;
    const stub = env.TENANTS.get(env.TENANTS.idFromName(tenant));
    const first = await runInDurableObject(stub, (_instance: unknown, state: DurableObjectState) => state.storage.get<StoredKey[]>("signingKeys"));
    expect(first).toHaveLength(1);
    const response = await worker.fetch(`https://login.test/${tenant}/discovery/v2.0/keys`);
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([first![0]!.kid]);
    for (const key of jwks.keys) for (const secret of ["d", "p", "q", "dp", "dq", "qi", "privateKeyPkcs8"]) expect(key[secret]).toBeUndefined();
    // Asking again (a new request, the same object) never mints another key.
    await worker.fetch(`https://login.test/${tenant}/v2.0/.well-known/openid-configuration`);
    const again = await runInDurableObject(stub, (_instance: unknown, state: DurableObjectState) => state.storage.get<StoredKey[]>("signingKeys"));
    expect(again).toEqual(first);
  });

  it("seeds the admin: its appId resolves to a principal that holds a hashed secret, never the secret", async () => {
    const stub = env.TENANTS.get(env.TENANTS.idFromName(env.TENANT_ID as string)) as DurableObjectStub<TenantAuthority>;
    const objectId = await runInDurableObject(stub, (instance: TenantAuthority) => instance.lookupApp(env.ADMIN_CLIENT_ID as string));
    expect(objectId).toMatch(/^[0-9a-f-]{36}$/);
    const principal = env.PRINCIPALS.get(env.PRINCIPALS.idFromName(objectId!));
    const record = await runInDurableObject(principal, (_instance: unknown, state: DurableObjectState) => state.storage.get<Record<string, unknown>>("principal"));
    expect(JSON.stringify(record)).not.toContain(env.ADMIN_CLIENT_SECRET as string);
    expect(JSON.stringify(record)).toMatch(/"secretHash":"[0-9a-f]{64}"/);
  });
});
