// Key Vault: Microsoft.KeyVault/vaults in Resource Manager, and the secrets data plane driven by
// the unmodified @azure/keyvault-secrets SecretClient, with the admin's ClientSecretCredential
// and VMs' managed identities. Data access is RBAC only: data actions of Key Vault roles, never
// control-plane roles such as Owner.
import type { TokenCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { SignJWT, generateKeyPair } from "jose";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";
import { tokenFromVm, type VmClient } from "../support/vm-process.ts";

const KV_ARM_API = "2024-11-01";
const ROLES = {
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  keyVaultAdministrator: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
  secretsOfficer: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
  secretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
};

const emulator = new TestEmulator();
const RG = "kv-rg";
const VAULT = `kv-main-${randomUUID().slice(0, 8)}`;
let vaultId: string;
let vaultUrl: string;
/** The admin (Owner on the subscription) with Key Vault Administrator on the main vault. */
let adminSecrets: SecretClient;

interface Principal {
  oid: string;
  appid: string;
  vaultToken: string;
  imds: string;
}
/** VMs whose identities hold Key Vault Secrets User, Secrets Officer, Key Vault Administrator, and nothing. */
let principals: Record<"user" | "officer" | "administrator" | "nobody", Principal>;

function vaultPath(name: string, rg = RG, suffix = "") {
  return `${emulator.subscriptionPath}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${name}${suffix}?api-version=${KV_ARM_API}`;
}

function vaultBody(overrides: Record<string, unknown> = {}) {
  return {
    location: "westus",
    properties: {
      tenantId: emulator.endpoints.tenantId,
      sku: { family: "A", name: "standard" },
      enableRbacAuthorization: true,
      ...overrides,
    },
  };
}

async function createVault(name: string, rg = RG, overrides: Record<string, unknown> = {}): Promise<any> {
  const r = await emulator.arm("PUT", vaultPath(name, rg), vaultBody(overrides));
  if (r.status !== 201 && r.status !== 200) throw new Error(`create vault: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const grant = (scope: string, role: string, principalId: string) => emulator.grant(scope, role, principalId);

/** A credential that hands out one fixed token: to call the vault as a given principal. */
function fixedToken(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}

/** The unmodified client; local vault URLs are not *.vault.azure.net, hence the documented option. */
function secretClient(credential: TokenCredential, url = vaultUrl, serviceVersion?: "7.4" | "7.5" | "2025-07-01"): SecretClient {
  return new SecretClient(url, credential, { disableChallengeResourceVerification: true, ...(serviceVersion ? { serviceVersion } : {}) });
}

function as(principal: Principal): SecretClient {
  return secretClient(fixedToken(principal.vaultToken));
}

/** A system-assigned VM whose identity is one principal of the tests; its vault token comes from its IMDS. */
async function vmPrincipal(vm: string): Promise<Principal> {
  await emulator.createVm(RG, vm, { type: "SystemAssigned" });
  const endpoint = await emulator.imdsEndpoint(RG, vm);
  const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
  expect(t.status, JSON.stringify(t.body)).toBe(200);
  const { oid, appid } = decodeJwt(t.body.access_token).payload;
  return { oid, appid, vaultToken: t.body.access_token, imds: endpoint };
}

/** A raw data-plane call, for what SDKs hide (status lines, headers, exact bodies). */
async function dataPlane(method: string, path: string, token: string | null, body?: unknown) {
  const response = await fetch(`${vaultUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function expectRestError(promise: Promise<unknown>, statusCode: number, code: string): Promise<any> {
  const error: any = await promise.then(
    () => null,
    (e) => e,
  );
  expect(error, "expected the call to fail").not.toBeNull();
  expect({ statusCode: error.statusCode, code: error.code }, error.message).toEqual({ statusCode, code });
  return error;
}

beforeAll(async () => {
  await emulator.start();
  await emulator.createResourceGroup(RG);
  const vault = await createVault(VAULT);
  vaultId = vault.id;
  vaultUrl = vault.properties.vaultUri;
  const [user, officer, administrator, nobody] = await Promise.all(["kv-user-vm", "kv-officer-vm", "kv-admin-vm", "kv-nobody-vm"].map(vmPrincipal));
  principals = { user: user!, officer: officer!, administrator: administrator!, nobody: nobody! };
  await grant(vaultId, ROLES.secretsUser, principals.user.oid);
  await grant(vaultId, ROLES.secretsOfficer, principals.officer.oid);
  await grant(vaultId, ROLES.keyVaultAdministrator, principals.administrator.oid);
  // The admin is Owner, which holds no data action: it needs a Key Vault role like anyone else.
  await grant(vaultId, ROLES.keyVaultAdministrator, emulator.endpoints.admin.objectId);
  adminSecrets = secretClient(emulator.adminCredential());
});
afterAll(() => emulator.dispose());

describe("Microsoft.KeyVault/vaults in Resource Manager", () => {
  it("PUT answers the vault with Azure's defaults and a vaultUri on the local data plane", async () => {
    const r = await emulator.arm("GET", vaultPath(VAULT));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}`,
      name: VAULT,
      type: "Microsoft.KeyVault/vaults",
      location: "westus",
      properties: {
        sku: { family: "A", name: "standard" },
        tenantId: emulator.endpoints.tenantId,
        accessPolicies: [],
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        vaultUri: `${emulator.endpoints.keyVault}/vaults/${VAULT}/`,
        provisioningState: "Succeeded",
        publicNetworkAccess: "Enabled",
      },
    });
    expect(r.body.properties.enablePurgeProtection).toBeUndefined();
    expect(emulator.endpoints.keyVault).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("lists vaults by resource group and by subscription; PATCH replaces tags", async () => {
    const byGroup = await emulator.arm("GET", `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults?api-version=${KV_ARM_API}`);
    expect(byGroup.body.value.map((v: any) => v.name)).toContain(VAULT);
    const bySub = await emulator.arm("GET", `${emulator.subscriptionPath}/providers/Microsoft.KeyVault/vaults?api-version=${KV_ARM_API}`);
    expect(bySub.body.value.map((v: any) => v.name)).toContain(VAULT);
    const patched = await emulator.arm("PATCH", vaultPath(VAULT), { tags: { team: "kv" } });
    expect(patched.status).toBe(200);
    expect(patched.body.tags).toEqual({ team: "kv" });
    expect(patched.body.properties.vaultUri).toBe(vaultUrl);
  });

  it("validates names, tenant, sku and retention as the resource provider does", async () => {
    for (const bad of ["ab", "1vault", "vault-", "va--ult", "a".repeat(25), "vault_1"]) {
      const r = await emulator.arm("PUT", vaultPath(bad), vaultBody());
      expect(r.status, bad).toBe(400);
      expect(r.body.error.code).toBe("VaultNameNotValid");
    }
    const name = `kv-val-${randomUUID().slice(0, 6)}`;
    const noTenant = await emulator.arm("PUT", vaultPath(name), { location: "westus", properties: { sku: { family: "A", name: "standard" } } });
    expect(noTenant.status).toBe(400);
    const foreign = await emulator.arm("PUT", vaultPath(name), vaultBody({ tenantId: randomUUID() }));
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.message).toContain(emulator.endpoints.tenantId);
    const noSku = await emulator.arm("PUT", vaultPath(name), vaultBody({ sku: undefined }));
    expect(noSku.status).toBe(400);
    const badSku = await emulator.arm("PUT", vaultPath(name), vaultBody({ sku: { family: "A", name: "gold" } }));
    expect(badSku.status).toBe(400);
    for (const days of [6, 91, 30.5]) {
      const r = await emulator.arm("PUT", vaultPath(name), vaultBody({ softDeleteRetentionInDays: days }));
      expect(r.status, String(days)).toBe(400);
    }
    const noLocation = await emulator.arm("PUT", vaultPath(name), { properties: vaultBody().properties });
    expect(noLocation.body.error.code).toBe("LocationRequired");
    const missing = await emulator.arm("GET", vaultPath(name));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("ResourceNotFound");
  });

  it("access policies are not emulated: enableRbacAuthorization false or a policy answers 501", async () => {
    const name = `kv-ap-${randomUUID().slice(0, 6)}`;
    const off = await emulator.arm("PUT", vaultPath(name), vaultBody({ enableRbacAuthorization: false }));
    expect(off.status).toBe(501);
    expect(off.body.error.code).toBe("NotImplemented");
    expect(off.body.error.message).toMatch(/access policies are not emulated/);
    const policy = await emulator.arm("PUT", vaultPath(name), vaultBody({
      accessPolicies: [{ tenantId: emulator.endpoints.tenantId, objectId: randomUUID(), permissions: { secrets: ["get"] } }],
    }));
    expect(policy.status).toBe(501);
    const defaulted = await emulator.arm("PUT", vaultPath(name), vaultBody({ enableRbacAuthorization: undefined }));
    expect(defaulted.status).toBe(201);
    expect(defaulted.body.properties.enableRbacAuthorization).toBe(true);
  });

  it("vault names are global: another group's PUT of a taken name is 409 VaultAlreadyExists, even when racing", async () => {
    await emulator.createResourceGroup("kv-other-rg");
    const taken = await emulator.arm("PUT", vaultPath(VAULT, "kv-other-rg"), vaultBody());
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("VaultAlreadyExists");

    const contested = `kv-race-${randomUUID().slice(0, 6)}`;
    const results = await Promise.all([RG, "kv-other-rg"].map((rg) => emulator.arm("PUT", vaultPath(contested, rg), vaultBody())));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(loser.body.error.code).toBe("VaultAlreadyExists");
  });

  it("soft delete and purge protection cannot be switched off again", async () => {
    const name = `kv-pp-${randomUUID().slice(0, 6)}`;
    await createVault(name, RG, { enablePurgeProtection: true, softDeleteRetentionInDays: 7 });
    const off = await emulator.arm("PUT", vaultPath(name), vaultBody({ enablePurgeProtection: false, softDeleteRetentionInDays: 7 }));
    expect(off.status).toBe(400);
    const softOff = await emulator.arm("PATCH", vaultPath(name), { properties: { enableSoftDelete: false } });
    expect(softOff.status).toBe(400);
  });

  it("DELETE removes the vault and its data plane; the name is free again", async () => {
    const name = `kv-del-${randomUUID().slice(0, 6)}`;
    const vault = await createVault(name);
    const admin = secretClient(emulator.adminCredential(), vault.properties.vaultUri);
    await grant(vault.id, ROLES.secretsOfficer, emulator.endpoints.admin.objectId);
    await admin.setSecret("doomed", "x");
    expect((await emulator.arm("DELETE", vaultPath(name))).status).toBe(200);
    expect((await emulator.arm("DELETE", vaultPath(name))).status).toBe(204);
    expect((await emulator.arm("GET", vaultPath(name))).status).toBe(404);
    await expectRestError(admin.getSecret("doomed"), 404, "VaultNotFound");
    const recreated = await createVault(name, "kv-other-rg");
    expect(recreated.id).toContain("/resourceGroups/kv-other-rg/");
  });

  it("deleting the resource group deletes its vaults", async () => {
    await emulator.createResourceGroup("kv-doomed-rg");
    const name = `kv-rgdel-${randomUUID().slice(0, 6)}`;
    await createVault(name, "kv-doomed-rg");
    expect((await emulator.arm("DELETE", emulator.rgPath("kv-doomed-rg"))).status).toBe(200);
    const gone = await fetch(`${emulator.endpoints.keyVault}/vaults/${name}/secrets?api-version=7.5`);
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.code).toBe("VaultNotFound");
    await createVault(name);
  });

  it("unsupported api-versions are refused as for any provider", async () => {
    const r = await emulator.arm("GET", `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}?api-version=2020-01-01`);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("NoRegisteredProviderFound");
  });
});

describe("authentication", () => {
  it("no token: 401 with Key Vault's challenge naming our authority and https://vault.azure.net", async () => {
    const r = await dataPlane("GET", "secrets?api-version=7.5", null);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } });
    expect(r.headers.get("www-authenticate")).toBe(
      `Bearer authorization="${emulator.endpoints.login}/${emulator.endpoints.tenantId}", resource="https://vault.azure.net"`,
    );
    expect(r.headers.get("x-ms-keyvault-region")).toBe("westus");
    expect(r.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("the SecretClient answers the challenge: first request without token, then with one for the vault", async () => {
    const scopes: string[][] = [];
    const credential = emulator.adminCredential();
    const recording: TokenCredential = {
      getToken: (scope, options) => {
        scopes.push(Array.isArray(scope) ? scope : [scope]);
        return credential.getToken(scope, options);
      },
    };
    const client = secretClient(recording);
    // adminSecrets shares nothing with this client: its first request goes out without a token.
    await client.setSecret("challenge-round-trip", "ok");
    expect((await client.getSecret("challenge-round-trip")).value).toBe("ok");
    expect(scopes[0]).toEqual(["https://vault.azure.net/.default"]);
  });

  it("without disableChallengeResourceVerification the SDK refuses the challenge for a non-Azure host, as documented", async () => {
    const strict = new SecretClient(vaultUrl, emulator.adminCredential());
    const error: any = await strict.getSecret("anything").catch((e) => e);
    expect(String(error?.message)).toMatch(/challenge resource/i);
  });

  it("a token for another audience is 401 AKV10022", async () => {
    const arm = await emulator.adminToken();
    const r = await dataPlane("GET", "secrets?api-version=7.5", arm);
    expect(r.status).toBe(401);
    expect(r.body.error).toEqual({
      code: "Unauthorized",
      message: "AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com.",
    });
    expect(r.headers.get("www-authenticate")).toContain('resource="https://vault.azure.net"');
    const perVault = await emulator.adminCredential().getToken("https://myvault.vault.azure.net/.default");
    expect((await dataPlane("GET", "secrets?api-version=7.5", perVault.token)).body.error.message).toMatch(/^AKV10022: /);
  });

  it("accepts the Key Vault audience with and without the trailing slash", async () => {
    for (const scope of ["https://vault.azure.net/.default", "https://vault.azure.net//.default"]) {
      const t = await emulator.adminCredential().getToken(scope);
      const r = await dataPlane("GET", "secrets?api-version=7.5", t.token);
      expect(r.status, `${scope}: ${JSON.stringify(r.body)}`).toBe(200);
    }
  });

  it("forged, unsigned, foreign-signed and malformed tokens are 401", async () => {
    const real = decodeJwt(principals.user.vaultToken);
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({ ...real.payload })
      .setProtectedHeader({ alg: "RS256", kid: real.header.kid, x5t: real.header.x5t })
      .sign(privateKey);
    const forgedResult = await dataPlane("GET", "secrets?api-version=7.5", forged);
    expect(forgedResult.status).toBe(401);
    expect(forgedResult.body.error.message).toBe("[InvalidToken] Error validating token: the signature is invalid.");

    const foreignKid = await new SignJWT({ ...real.payload }).setProtectedHeader({ alg: "RS256", kid: "not-our-key" }).sign(privateKey);
    const foreignResult = await dataPlane("GET", "secrets?api-version=7.5", foreignKid);
    expect(foreignResult.status).toBe(401);
    expect(foreignResult.body.error.message).toBe(
      `AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '${foreignKid.split(".")[0]}'.`,
    );

    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${principals.user.vaultToken.split(".")[1]}.`;
    expect((await dataPlane("GET", "secrets?api-version=7.5", unsigned)).status).toBe(401);
    const garbage = await dataPlane("GET", "secrets?api-version=7.5", "not-a-jwt");
    expect(garbage.status).toBe(401);
    expect(garbage.headers.get("www-authenticate")).toContain("authorization=");
    const basic = await fetch(`${vaultUrl}secrets?api-version=7.5`, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(basic.status).toBe(401);
    expect((await basic.json()).error.message).toBe("AKV10000: Request is missing a Bearer or PoP token.");
  });

  describe("another tenant, and expiry", () => {
    // A second emulator: its own tenant and keys, and tokens that live three seconds.
    const other = new TestEmulator({ tenantId: "c0ffee00-0000-4000-a000-0000000000f2", tokenLifetimeSeconds: "3" });
    beforeAll(() => other.start());
    afterAll(() => other.dispose());

    it("a token another tenant issued is 401 AKV10032 naming the vault's tenant", async () => {
      const foreign = await other.adminCredential().getToken("https://vault.azure.net/.default");
      const r = await dataPlane("GET", "secrets?api-version=7.5", foreign.token);
      expect(r.status).toBe(401);
      expect(r.body.error.message).toBe(
        `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${emulator.endpoints.tenantId}/, found https://sts.windows.net/${other.endpoints.tenantId}/.`,
      );
    });

    it("an expired token is 401 [TokenExpired]", async () => {
      const arm = await other.adminCredential().getToken("https://management.azure.com/.default");
      expect((await other.arm("PUT", other.rgPath("exp-rg"), { location: "westus" }, arm.token)).status).toBe(201);
      const name = `kv-exp-${randomUUID().slice(0, 6)}`;
      const created = await other.arm("PUT", `${other.subscriptionPath}/resourceGroups/exp-rg/providers/Microsoft.KeyVault/vaults/${name}?api-version=${KV_ARM_API}`, {
        location: "westus",
        properties: { tenantId: other.endpoints.tenantId, sku: { family: "A", name: "standard" } },
      }, arm.token);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const url = `${created.body.properties.vaultUri}secrets?api-version=7.5`;
      const token = (await other.adminCredential().getToken("https://vault.azure.net/.default")).token;
      const fresh = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(fresh.status, "authenticated, and Owner holds no data action").toBe(403);
      await new Promise((r) => setTimeout(r, 1000 * (decodeJwt(token).payload.exp - Date.now() / 1000) + 1100));
      const expired = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(expired.status).toBe(401);
      expect(await expired.json()).toEqual({ error: { code: "Unauthorized", message: "[TokenExpired] Error validating token: 'S2S12086'." } });
      expect(expired.headers.get("www-authenticate")).toBe(
        `Bearer authorization="${other.endpoints.login}/${other.endpoints.tenantId}", resource="https://vault.azure.net"`,
      );
    });
  });
});

describe("authorization by role", () => {
  it("Owner alone holds no data action: 403 ForbiddenByRbac with Key Vault's message", async () => {
    const name = `kv-owner-${randomUUID().slice(0, 6)}`;
    const vault = await createVault(name);
    const owner = secretClient(emulator.adminCredential(), vault.properties.vaultUri);
    const error = await expectRestError(owner.getSecret("anything"), 403, "Forbidden");
    expect(error.message).toBe(
      [
        "Caller is not authorized to perform action on resource.",
        "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
        `Caller: appid=${emulator.endpoints.admin.clientId};oid=${emulator.endpoints.admin.objectId};iss=https://sts.windows.net/${emulator.endpoints.tenantId}/`,
        "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'",
        `Resource: '${vault.id.toLowerCase()}/secrets/anything'`,
        "Assignment: (not found)",
        "DenyAssignmentId: null",
        "DecisionReason: 'DeniedWithNoValidRBAC' ",
        `Vault: ${name};location=westus`,
        "",
      ].join("\r\n"),
    );
    await expectRestError(owner.setSecret("x", "y"), 403, "Forbidden");
    const list = await fetch(`${vault.properties.vaultUri}secrets?api-version=7.5`, {
      headers: { authorization: `Bearer ${(await emulator.adminCredential().getToken("https://vault.azure.net/.default")).token}` },
    });
    const listed = await list.json();
    expect(listed.error.innererror).toEqual({ code: "ForbiddenByRbac" });
    expect(listed.error.message).toContain("Action: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'");
    expect(listed.error.message).toContain(`Resource: '${vault.id.toLowerCase()}'\r\n`);
  });

  it("Key Vault Secrets User reads and lists, but cannot write or delete", async () => {
    await as(principals.officer).setSecret("shared-secret", "s3cret");
    const user = as(principals.user);
    expect((await user.getSecret("shared-secret")).value).toBe("s3cret");
    const names: string[] = [];
    for await (const p of user.listPropertiesOfSecrets()) names.push(p.name);
    expect(names).toContain("shared-secret");
    await expectRestError(user.setSecret("shared-secret", "overwrite"), 403, "Forbidden");
    await expectRestError(user.updateSecretProperties("shared-secret", "", { enabled: false }), 403, "Forbidden");
    await expectRestError(user.beginDeleteSecret("shared-secret"), 403, "Forbidden");
  });

  it("Key Vault Secrets Officer writes, updates, deletes and purges", async () => {
    const officer = as(principals.officer);
    const set = await officer.setSecret("officer-secret", "v1", { contentType: "text/plain", tags: { env: "test" } });
    expect(set.properties).toMatchObject({ contentType: "text/plain", tags: { env: "test" }, enabled: true });
    const updated = await officer.updateSecretProperties("officer-secret", set.properties.version!, { enabled: false });
    expect(updated.enabled).toBe(false);
    await (await officer.beginDeleteSecret("officer-secret")).pollUntilDone();
    await officer.purgeDeletedSecret("officer-secret");
  });

  it("Key Vault Administrator does everything; nobody without a role does anything", async () => {
    const administrator = as(principals.administrator);
    await administrator.setSecret("admin-secret", "a");
    expect((await administrator.getSecret("admin-secret")).value).toBe("a");
    const nobody = as(principals.nobody);
    await expectRestError(nobody.getSecret("admin-secret"), 403, "Forbidden");
    const list = nobody.listPropertiesOfSecrets().byPage();
    await expectRestError(list.next(), 403, "Forbidden");
  });

  it("an assignment at one secret grants that secret alone", async () => {
    const name = `kv-scope-${randomUUID().slice(0, 6)}`;
    const vault = await createVault(name);
    const officer = await grant(vault.id, ROLES.secretsOfficer, emulator.endpoints.admin.objectId);
    expect(officer).toBeTruthy();
    const admin = secretClient(emulator.adminCredential(), vault.properties.vaultUri);
    await admin.setSecret("one", "1");
    await admin.setSecret("two", "2");
    await grant(`${vault.id}/secrets/one`, ROLES.secretsUser, principals.nobody.oid);
    const scoped = secretClient(fixedToken(principals.nobody.vaultToken), vault.properties.vaultUri);
    expect((await scoped.getSecret("one")).value).toBe("1");
    const error = await expectRestError(scoped.getSecret("two"), 403, "Forbidden");
    expect(error.message).toContain(`Resource: '${vault.id.toLowerCase()}/secrets/two'`);
  });

  it("Reader on the group reads the vault in Resource Manager but nothing in the data plane", async () => {
    await grant(`${emulator.subscriptionPath}/resourceGroups/${RG}`, ROLES.reader, principals.nobody.oid);
    await expectRestError(as(principals.nobody).getSecret("shared-secret"), 403, "Forbidden");
    const armToken = await imds(`${principals.nobody.imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    const read = await emulator.arm("GET", vaultPath(VAULT), undefined, armToken.body.access_token);
    expect(read.status).toBe(200);
  });

  it("inside a VM: ManagedIdentityCredential and SecretClient read a secret through the challenge", async () => {
    await as(principals.officer).setSecret("from-the-vm", "hello from IMDS");
    // in-vm.mjs `keyvault-get <vaultUrl> <secretName>`: the VM's own process and identity.
    const result: any = await tokenFromVm(principals.user.imds, "keyvault-get" as VmClient, vaultUrl, { clientId: "from-the-vm" });
    expect(result.error, JSON.stringify(result)).toBeUndefined();
    expect(result.value).toBe("hello from IMDS");
    expect(result.id).toMatch(new RegExp(`^${emulator.endpoints.keyVault}/secrets/from-the-vm/[0-9a-f]{32}$`));
    const denied: any = await tokenFromVm(principals.nobody.imds, "keyvault-get" as VmClient, vaultUrl, { clientId: "from-the-vm" });
    expect({ statusCode: denied.statusCode, code: denied.code }).toEqual({ statusCode: 403, code: "Forbidden" });
  });
});

describe("secrets", () => {
  let admin: SecretClient;
  beforeAll(() => {
    admin = adminSecrets;
  });

  it("set answers a SecretBundle; every set is a new version; get by version and latest", async () => {
    const first = await admin.setSecret("versioned", "one");
    const second = await admin.setSecret("versioned", "two");
    expect(first.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(second.properties.version).not.toBe(first.properties.version);
    expect(first.properties.id).toBe(`${emulator.endpoints.keyVault}/secrets/versioned/${first.properties.version}`);
    expect(first.properties).toMatchObject({ name: "versioned", enabled: true, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 });
    expect((await admin.getSecret("versioned")).value).toBe("two");
    expect((await admin.getSecret("versioned", { version: first.properties.version! })).value).toBe("one");

    const raw = await dataPlane("GET", `secrets/versioned/?api-version=7.5`, (await emulator.adminCredential().getToken("https://vault.azure.net/.default")).token);
    expect(raw.status).toBe(200);
    expect(Object.keys(raw.body).sort()).toEqual(["attributes", "id", "value"]);
    expect(Object.keys(raw.body.attributes).sort()).toEqual(["created", "enabled", "recoverableDays", "recoveryLevel", "updated"]);
    expect(Number.isInteger(raw.body.attributes.created)).toBe(true);
  });

  it("SecretNotFound for a missing secret or version, with Azure's message", async () => {
    const error = await expectRestError(admin.getSecret("no-such-secret"), 404, "SecretNotFound");
    expect(error.message).toBe(
      "A secret with (name/id) no-such-secret was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182",
    );
    await expectRestError(admin.getSecret("versioned", { version: "0".repeat(32) }), 404, "SecretNotFound");
  });

  it("bad names and bodies are 400 BadParameter", async () => {
    const token = (await emulator.adminCredential().getToken("https://vault.azure.net/.default")).token;
    const badName = await dataPlane("PUT", "secrets/bad_name?api-version=7.5", token, { value: "x" });
    expect(badName.status).toBe(400);
    expect(badName.body.error).toEqual({ code: "BadParameter", message: "The request URI contains an invalid name: bad_name" });
    const noValue = await dataPlane("PUT", "secrets/no-value?api-version=7.5", token, { contentType: "x" });
    expect(noValue.status).toBe(400);
    expect(noValue.body.error.code).toBe("BadParameter");
  });

  it("PATCH updates attributes; a disabled version cannot be read", async () => {
    const s = await admin.setSecret("patched", "p", { expiresOn: new Date("2030-01-01T00:00:00Z") });
    expect(s.properties.expiresOn?.toISOString()).toBe("2030-01-01T00:00:00.000Z");
    const props = await admin.updateSecretProperties("patched", s.properties.version!, { enabled: false, tags: { a: "b" } });
    expect(props).toMatchObject({ enabled: false, tags: { a: "b" } });
    const error = await expectRestError(admin.getSecret("patched"), 403, "Forbidden");
    expect(error.message).toBe("Operation get is not allowed on a disabled secret.");
    await admin.updateSecretProperties("patched", s.properties.version!, { enabled: true });
    expect((await admin.getSecret("patched")).value).toBe("p");
  });

  it("lists page with maxresults and nextLink ($skiptoken)", async () => {
    const name = `kv-page-${randomUUID().slice(0, 6)}`;
    const vault = await createVault(name);
    await grant(vault.id, ROLES.secretsOfficer, emulator.endpoints.admin.objectId);
    const client = secretClient(emulator.adminCredential(), vault.properties.vaultUri);
    for (const n of ["p1", "p2", "p3", "p4", "p5"]) await client.setSecret(n, n);
    const pages: string[][] = [];
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) pages.push(page.map((p) => p.name));
    expect(pages).toEqual([["p1", "p2"], ["p3", "p4"], ["p5"]]);

    const token = (await emulator.adminCredential().getToken("https://vault.azure.net/.default")).token;
    const first = await fetch(`${vault.properties.vaultUri}secrets?api-version=7.5&maxresults=2`, { headers: { authorization: `Bearer ${token}` } });
    const body = await first.json();
    expect(body.value).toHaveLength(2);
    expect(body.value[0]).toEqual({ id: `${emulator.endpoints.keyVault}/secrets/p1`, attributes: expect.objectContaining({ enabled: true }) });
    expect(body.nextLink).toMatch(new RegExp(`^${vault.properties.vaultUri}secrets\\?api-version=7\\.5&\\$skiptoken=[\\w-]+&maxresults=2$`));

    for (const v of ["b", "c"]) await client.setSecret("p1", v);
    const versions: string[][] = [];
    for await (const page of client.listPropertiesOfSecretVersions("p1").byPage({ maxPageSize: 2 })) versions.push(page.map((p) => p.version!));
    expect(versions.map((p) => p.length)).toEqual([2, 1]);
    expect((await client.getSecret("p1", { version: versions[1]![0]! })).value).toBe("c");

    const bad = await fetch(`${vault.properties.vaultUri}secrets?api-version=7.5&maxresults=26`, { headers: { authorization: `Bearer ${token}` } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe("BadParameter");
  });

  it("soft delete: deleted secrets are listed, block the name (409), recover, and purge", async () => {
    await admin.setSecret("soft", "first");
    const poller = await admin.beginDeleteSecret("soft");
    const deleted = await poller.pollUntilDone();
    expect(deleted.properties.recoveryId).toBe(`${emulator.endpoints.keyVault}/deletedsecrets/soft`);
    expect(deleted.properties.deletedOn).toBeInstanceOf(Date);
    expect(deleted.properties.scheduledPurgeDate!.getTime() - deleted.properties.deletedOn!.getTime()).toBe(90 * 86_400_000);
    expect(deleted.value).toBeUndefined();
    await expectRestError(admin.getSecret("soft"), 404, "SecretNotFound");

    const conflict = await expectRestError(admin.setSecret("soft", "again"), 409, "Conflict");
    expect(conflict.message).toBe(
      "Secret soft is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.",
    );
    const names: string[] = [];
    for await (const d of admin.listDeletedSecrets()) names.push(d.name);
    expect(names).toContain("soft");
    expect((await admin.getDeletedSecret("soft")).properties.recoveryId).toBeTruthy();

    await (await admin.beginRecoverDeletedSecret("soft")).pollUntilDone();
    expect((await admin.getSecret("soft")).value).toBe("first");

    await (await admin.beginDeleteSecret("soft")).pollUntilDone();
    await admin.purgeDeletedSecret("soft");
    const gone = await expectRestError(admin.getDeletedSecret("soft"), 404, "SecretNotFound");
    expect(gone.message).toBe("Deleted Secret not found: soft");
    const reborn = await admin.setSecret("soft", "second");
    expect(reborn.value).toBe("second");
  });

  it("a vault without soft delete deletes at once; purge protection refuses purge", async () => {
    const hardName = `kv-hard-${randomUUID().slice(0, 6)}`;
    const hard = await createVault(hardName, RG, { enableSoftDelete: false });
    await grant(hard.id, ROLES.secretsOfficer, emulator.endpoints.admin.objectId);
    const hardClient = secretClient(emulator.adminCredential(), hard.properties.vaultUri);
    const s = await hardClient.setSecret("gone", "x");
    expect(s.properties.recoveryLevel).toBe("Purgeable");
    const deleted = await (await hardClient.beginDeleteSecret("gone")).pollUntilDone();
    expect(deleted.properties.recoveryId).toBeUndefined();
    await expectRestError(hardClient.getDeletedSecret("gone"), 404, "SecretNotFound");
    await hardClient.setSecret("gone", "again");

    const keptName = `kv-kept-${randomUUID().slice(0, 6)}`;
    const kept = await createVault(keptName, RG, { enablePurgeProtection: true, softDeleteRetentionInDays: 7 });
    await grant(kept.id, ROLES.secretsOfficer, emulator.endpoints.admin.objectId);
    const keptClient = secretClient(emulator.adminCredential(), kept.properties.vaultUri);
    const k = await keptClient.setSecret("kept", "x");
    expect(k.properties).toMatchObject({ recoveryLevel: "CustomizedRecoverable", recoverableDays: 7 });
    await (await keptClient.beginDeleteSecret("kept")).pollUntilDone();
    const error = await expectRestError(keptClient.purgeDeletedSecret("kept"), 403, "Forbidden");
    expect(error.message).toMatch(/purge protection is enabled/);
  });

  it("api-versions: 7.4, 7.5 and 2025-07-01 work through the client; others are 400 BadParameter", async () => {
    for (const v of ["7.4", "7.5", "2025-07-01"] as const) {
      const client = secretClient(emulator.adminCredential(), vaultUrl, v);
      expect((await client.setSecret(`ver-${v.replace(/\./g, "-")}`, v)).value).toBe(v);
    }
    const token = (await emulator.adminCredential().getToken("https://vault.azure.net/.default")).token;
    for (const v of ["7.0", "7.6"]) expect((await dataPlane("GET", `secrets?api-version=${v}`, token)).status).toBe(200);
    const unknown = await dataPlane("GET", "secrets?api-version=7.9", token);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toEqual({
      code: "BadParameter",
      message: "The specified version (7.9) is not recognized. Consider using the latest supported version (2025-07-01).",
    });
    const missing = await dataPlane("GET", "secrets", token);
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe("BadParameter");
  });
});
