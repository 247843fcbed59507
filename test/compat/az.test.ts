// The real Azure CLI (Debian 13's unmodified azure-cli 2.74) against a fresh emulator, set up only
// as the README's "Using the Azure CLI" says. Every check looks at results, not only exit codes:
// the identity az assigned is the one IMDS issues tokens for, a role assignment az made grants
// what it should, a secret az set is read back by SecretClient and by az --id.
import { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeJwt, imds, TestEmulator } from "../support/emulator.ts";
import { ChrootSession } from "./az-root.ts";

const RG = "az-rg";
const VAULT = "azkv1";

let emulator: TestEmulator;
let az: ChrootSession;
let subscriptionId: string;

/** What the README tells a user to paste, with this emulator's URLs. */
async function registerAndLogin(session: ChrootSession): Promise<void> {
  const e = emulator.endpoints;
  await session.az(["cloud", "register", "-n", "Emulator", "--endpoint-resource-manager", `${e.arm}/`]);
  await session.az(["cloud", "set", "-n", "Emulator"]);
  await session.az(["login", "--service-principal", "-u", e.admin.clientId, "-p", e.admin.clientSecret, "--tenant", e.tenantId]);
}

beforeAll(async () => {
  emulator = await new TestEmulator().start();
  subscriptionId = emulator.endpoints.subscriptionId;
  az = new ChrootSession("az", emulator.endpoints.caCertificate);
  // The README's one hosts-file line per vault name.
  az.addHosts([`${VAULT}.vault.localhost`]);
  await emulator.createResourceGroup("vm-rg");
});

afterAll(async () => {
  az?.dispose();
  await emulator?.dispose();
});

describe("az cloud register and az login --service-principal", () => {
  test("the cloud's endpoints come from the anonymous metadata (2022-09-01 shape)", async () => {
    const e = emulator.endpoints;
    await registerAndLogin(az);
    const cloud = await az.az(["cloud", "show", "-n", "Emulator"]);
    expect(cloud.endpoints.resourceManager).toBe(`${e.arm}/`);
    expect(cloud.endpoints.activeDirectory).toBe(`${e.login}/`);
    expect(cloud.endpoints.microsoftGraphResourceId).toBe(`${e.graph}/`);
    expect(cloud.endpoints.activeDirectoryGraphResourceId).toBe(`${e.graph}/`);
    expect(cloud.suffixes.keyvaultDns).toBe(`.vault.localhost:${new URL(e.keyVault!).port}`);
    expect(cloud.isActive).toBe(true);
  });

  test("az account show names the seeded subscription and the admin", async () => {
    const account = await az.az(["account", "show"]);
    expect(account.id).toBe(subscriptionId);
    expect(account.tenantId).toBe(emulator.endpoints.tenantId);
    expect(account.user).toEqual({ name: emulator.endpoints.admin.clientId, type: "servicePrincipal" });
  });

  test("az account get-access-token: Resource Manager, --resource and --resource-type ms-graph", async () => {
    const e = emulator.endpoints;
    const arm = await az.az(["account", "get-access-token"]);
    expect(decodeJwt(arm.accessToken).payload.aud).toBe("https://management.core.windows.net/");
    expect(arm.subscription).toBe(subscriptionId);
    const vault = await az.az(["account", "get-access-token", "--resource", "https://vault.azure.net"]);
    expect(decodeJwt(vault.accessToken).payload.aud).toBe("https://vault.azure.net");
    const graph = await az.az(["account", "get-access-token", "--resource-type", "ms-graph"]);
    const claims = decodeJwt(graph.accessToken).payload;
    expect(claims.aud).toBe(`${e.graph}/`);
    expect(claims.oid).toBe(e.admin.objectId);
    // ... and Graph accepts it.
    const me = await emulator.graph("GET", `/v1.0/servicePrincipals/${e.admin.objectId}`, undefined, graph.accessToken);
    expect(me.status).toBe(200);
  });
});

describe("resource groups", () => {
  test("az group create | show | list | delete", async () => {
    const created = await az.az(["group", "create", "-n", RG, "-l", "westus"]);
    expect(created).toMatchObject({ name: RG, location: "westus", properties: { provisioningState: "Succeeded" } });
    expect((await az.az(["group", "show", "-n", RG])).id).toBe(`/subscriptions/${subscriptionId}/resourceGroups/${RG}`);
    await az.az(["group", "create", "-n", "az-doomed", "-l", "eastus"]);
    const names = (await az.az(["group", "list"])).map((g: any) => g.name);
    expect(names).toEqual(expect.arrayContaining([RG, "az-doomed"]));
    await az.az(["group", "delete", "-n", "az-doomed", "--yes"]);
    expect((await emulator.arm("GET", emulator.rgPath("az-doomed"))).status).toBe(404);
    const missing = await az.azRaw(["group", "show", "-n", "az-doomed"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("ResourceGroupNotFound");
  });
});

describe("user-assigned identities", () => {
  test("az identity create | show | list | delete and federated credentials", async () => {
    const created = await az.az(["identity", "create", "-g", RG, "-n", "az-id"]);
    expect(created.principalId).toMatch(/^[0-9a-f-]{36}$/);
    const shown = await az.az(["identity", "show", "-g", RG, "-n", "az-id"]);
    expect(shown).toMatchObject({ principalId: created.principalId, clientId: created.clientId, tenantId: emulator.endpoints.tenantId });
    expect((await az.az(["identity", "list", "-g", RG])).map((i: any) => i.name)).toContain("az-id");

    const fic = await az.az([
      "identity", "federated-credential", "create", "-g", RG, "--identity-name", "az-id", "-n", "github-main",
      "--issuer", "https://token.actions.githubusercontent.com", "--subject", "repo:o/r:ref:refs/heads/main", "--audiences", "api://AzureADTokenExchange",
    ]);
    expect(fic).toMatchObject({ name: "github-main", subject: "repo:o/r:ref:refs/heads/main", audiences: ["api://AzureADTokenExchange"] });
    expect((await az.az(["identity", "federated-credential", "list", "-g", RG, "--identity-name", "az-id"])).map((f: any) => f.name)).toEqual(["github-main"]);
    await az.az(["identity", "federated-credential", "delete", "-g", RG, "--identity-name", "az-id", "-n", "github-main", "--yes"]);
    expect(await az.az(["identity", "federated-credential", "list", "-g", RG, "--identity-name", "az-id"])).toEqual([]);

    await az.az(["identity", "create", "-g", RG, "-n", "az-doomed-id"]);
    await az.az(["identity", "delete", "-g", RG, "-n", "az-doomed-id"]);
    expect((await az.az(["identity", "list", "-g", RG])).map((i: any) => i.name)).not.toContain("az-doomed-id");
  });
});

describe("a VM's identities", () => {
  test("az vm identity assign (system, then --identities by name) is what IMDS issues tokens for", async () => {
    await emulator.createVm("vm-rg", "az-vm");
    const system = await az.az(["vm", "identity", "assign", "-g", "vm-rg", "-n", "az-vm"]);
    expect(system.systemAssignedIdentity).toMatch(/^[0-9a-f-]{36}$/);
    const imdsBase = await emulator.imdsEndpoint("vm-rg", "az-vm");
    const token = await imds(`${imdsBase}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    expect(decodeJwt(token.body.access_token).payload.oid).toBe(system.systemAssignedIdentity);

    const identity = await az.az(["identity", "show", "-g", RG, "-n", "az-id"]);
    const both = await az.az(["vm", "identity", "assign", "-g", "vm-rg", "-n", "az-vm", "--identities", identity.id]);
    const [key, value] = Object.entries(both.userAssignedIdentities)[0] as [string, any];
    expect(key.toLowerCase()).toBe(identity.id.toLowerCase());
    expect(value).toEqual({ principalId: identity.principalId, clientId: identity.clientId });
    const userToken = await imds(
      `${imdsBase}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&client_id=${identity.clientId}`,
    );
    expect(decodeJwt(userToken.body.access_token).payload.oid).toBe(identity.principalId);

    const shown = await az.az(["vm", "identity", "show", "-g", "vm-rg", "-n", "az-vm"]);
    expect(shown.type).toBe("SystemAssigned, UserAssigned");
    expect(shown.principalId).toBe(system.systemAssignedIdentity);
  });

  test("az vm identity remove, and az vm update --set identity.type=SystemAssigned", async () => {
    const before = await az.az(["vm", "identity", "show", "-g", "vm-rg", "-n", "az-vm"]);
    await az.az(["vm", "identity", "remove", "-g", "vm-rg", "-n", "az-vm", "--identities", "[system]"]);
    const after = await az.az(["vm", "identity", "show", "-g", "vm-rg", "-n", "az-vm"]);
    expect(after.type).toBe("UserAssigned");
    expect(after.principalId).toBeFalsy();
    // The removed identity's principal is gone from the directory.
    const graphToken = (await az.az(["account", "get-access-token", "--resource-type", "ms-graph"])).accessToken;
    expect((await emulator.graph("GET", `/v1.0/servicePrincipals/${before.principalId}`, undefined, graphToken)).status).toBe(404);


    // The seed's other way to turn on a system-assigned identity, on a VM that has none.
    await emulator.createVm("vm-rg", "az-upd");
    const updated = await az.az(["vm", "update", "-g", "vm-rg", "-n", "az-upd", "--set", "identity.type=SystemAssigned"]);
    expect(updated.identity.type).toBe("SystemAssigned");
    expect(updated.identity.principalId).toMatch(/^[0-9a-f-]{36}$/);
    const imdsBase = await emulator.imdsEndpoint("vm-rg", "az-upd");
    const token = await imds(`${imdsBase}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    expect(decodeJwt(token.body.access_token).payload.oid).toBe(updated.identity.principalId);

    // Back to system-assigned only on az-vm: its user-assigned identity is removed by name.
    await az.az(["vm", "identity", "assign", "-g", "vm-rg", "-n", "az-vm"]);
    // (az turns a bare name into an id in the VM's resource group; this identity lives in another.)
    const identity = await az.az(["identity", "show", "-g", RG, "-n", "az-id"]);
    await az.az(["vm", "identity", "remove", "-g", "vm-rg", "-n", "az-vm", "--identities", identity.id]);
    expect((await az.az(["vm", "identity", "show", "-g", "vm-rg", "-n", "az-vm"])).type).toBe("SystemAssigned");
  });
});

describe("role assignments and the directory", () => {
  test("az role definition list --name", async () => {
    const [reader] = await az.az(["role", "definition", "list", "--name", "Reader"]);
    expect(reader).toMatchObject({ roleName: "Reader", name: "acdd72a7-3385-48ef-bd42-f606fba81ae7", roleType: "BuiltInRole" });
  });

  test("--assignee <principal id> grants what it should; list fills principalName; delete revokes", async () => {
    const vm = await az.az(["vm", "show", "-g", "vm-rg", "-n", "az-vm"]);
    const principalId = vm.identity.principalId as string;
    const scope = `/subscriptions/${subscriptionId}/resourceGroups/${RG}`;
    const imdsBase = await emulator.imdsEndpoint("vm-rg", "az-vm");
    const vmToken = async () =>
      (await imds(`${imdsBase}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&bypass_cache=true`)).body
        .access_token as string;
    expect((await emulator.arm("GET", emulator.rgPath(RG), undefined, await vmToken())).status).toBe(403);

    const created = await az.az(["role", "assignment", "create", "--assignee", principalId, "--role", "Reader", "--scope", scope]);
    expect(created).toMatchObject({ principalId, principalType: "ServicePrincipal", scope });
    expect((await emulator.arm("GET", emulator.rgPath(RG), undefined, await vmToken())).status).toBe(200);

    const listed = await az.az(["role", "assignment", "list", "--scope", scope]);
    const mine = listed.find((a: any) => a.principalId === principalId);
    expect(mine).toMatchObject({ roleDefinitionName: "Reader", principalType: "ServicePrincipal" });
    // az fills principalName through Graph (getByIds): a managed identity's first servicePrincipalName, its client id.
    const sp = await az.az(["ad", "sp", "show", "--id", principalId]);
    expect(mine.principalName).toBe(sp.servicePrincipalNames[0]);

    await az.az(["role", "assignment", "delete", "--assignee", principalId, "--role", "Reader", "--scope", scope]);
    expect((await az.az(["role", "assignment", "list", "--scope", scope])).some((a: any) => a.principalId === principalId)).toBe(false);
    expect((await emulator.arm("GET", emulator.rgPath(RG), undefined, await vmToken())).status).toBe(403);
  });

  test("--assignee <client id> resolves through servicePrincipalNames; a display name is refused as in Azure", async () => {
    const identity = await az.az(["identity", "show", "-g", RG, "-n", "az-id"]);
    const scope = `/subscriptions/${subscriptionId}/resourceGroups/${RG}`;
    const created = await az.az(["role", "assignment", "create", "--assignee", identity.clientId, "--role", "Reader", "--scope", scope]);
    expect(created.principalId).toBe(identity.principalId);
    const refused = await az.azRaw(["role", "assignment", "create", "--assignee", "az-id", "--role", "Reader", "--scope", scope]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("Cannot find user or service principal in graph database for 'az-id'");
  });

  test("az ad sp show --id, list --filter, list --display-name", async () => {
    const identity = await az.az(["identity", "show", "-g", RG, "-n", "az-id"]);
    const byObjectId = await az.az(["ad", "sp", "show", "--id", identity.principalId]);
    expect(byObjectId).toMatchObject({ id: identity.principalId, appId: identity.clientId, displayName: "az-id", servicePrincipalType: "ManagedIdentity" });
    const byAppId = await az.az(["ad", "sp", "show", "--id", identity.clientId]);
    expect(byAppId.id).toBe(identity.principalId);
    const filtered = await az.az(["ad", "sp", "list", "--filter", "displayName eq 'az-id'"]);
    expect(filtered.map((p: any) => p.id)).toEqual([identity.principalId]);
    const prefixed = await az.az(["ad", "sp", "list", "--display-name", "AZ-"]);
    expect(prefixed.map((p: any) => p.displayName)).toContain("az-id");
    expect(prefixed.every((p: any) => p.displayName.toLowerCase().startsWith("az-"))).toBe(true);
  });
});

describe("Key Vault", () => {
  test("az keyvault create, secret set | show | list | delete --vault-name, show --id; SecretClient reads it back", async () => {
    const vault = await az.az(["keyvault", "create", "-g", RG, "-n", VAULT, "--enable-rbac-authorization", "true"]);
    expect(vault.properties.enableRbacAuthorization).toBe(true);
    const admin = emulator.endpoints.admin.objectId;
    await az.az(["role", "assignment", "create", "--assignee", admin, "--role", "Key Vault Secrets Officer", "--scope", vault.id]);

    const set = await az.az(["keyvault", "secret", "set", "--vault-name", VAULT, "-n", "greeting", "--value", "hello from az"]);
    const port = new URL(emulator.endpoints.keyVault!).port;
    expect(set.id).toMatch(new RegExp(`^https://${VAULT}\\.vault\\.localhost:${port}/secrets/greeting/[0-9a-f]{32}$`));
    expect((await az.az(["keyvault", "secret", "show", "--vault-name", VAULT, "-n", "greeting"])).value).toBe("hello from az");
    expect((await az.az(["keyvault", "secret", "show", "--id", set.id])).value).toBe("hello from az");
    expect((await az.az(["keyvault", "secret", "list", "--vault-name", VAULT])).map((s: any) => s.name)).toEqual(["greeting"]);

    // The unmodified SDK, at the vault's vaultUri (no DNS needed), reads what az wrote.
    const client = new SecretClient(vault.properties.vaultUri, emulator.adminCredential(), { disableChallengeResourceVerification: true });
    expect((await client.getSecret("greeting")).value).toBe("hello from az");

    await az.az(["keyvault", "secret", "delete", "--vault-name", VAULT, "-n", "greeting"]);
    expect(await az.az(["keyvault", "secret", "list", "--vault-name", VAULT])).toEqual([]);
    const gone = await az.azRaw(["keyvault", "secret", "show", "--vault-name", VAULT, "-n", "greeting"]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain("SecretNotFound");
  });
});

describe("inside a VM: az login --identity", () => {
  test("a VM whose only role is on a resource group logs in, gets a vault token and reads a secret", async () => {
    const e = emulator.endpoints;
    await emulator.createVm("vm-rg", "az-inside", { type: "SystemAssigned" });
    const vm = await az.az(["vm", "show", "-g", "vm-rg", "-n", "az-inside"]);
    const vaultId = `/subscriptions/${subscriptionId}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}`;
    await az.az(["role", "assignment", "create", "--assignee", vm.identity.principalId, "--role", "Reader", "--scope", `/subscriptions/${subscriptionId}/resourceGroups/vm-rg`]);
    await az.az(["role", "assignment", "create", "--assignee", vm.identity.principalId, "--role", "Key Vault Secrets User", "--scope", vaultId]);
    await az.az(["keyvault", "secret", "set", "--vault-name", VAULT, "-n", "for-the-vm", "--value", "only with an identity"]);

    const inside = new ChrootSession("az-vm", e.caCertificate);
    try {
      const vmEnv = { AZURE_POD_IDENTITY_AUTHORITY_HOST: await emulator.imdsEndpoint("vm-rg", "az-inside") };
      await inside.az(["cloud", "register", "-n", "Emulator", "--endpoint-resource-manager", `${e.arm}/`], vmEnv);
      await inside.az(["cloud", "set", "-n", "Emulator"], vmEnv);
      const [account] = await inside.az(["login", "--identity"], vmEnv);
      expect(account).toMatchObject({ id: subscriptionId, user: { type: "servicePrincipal", assignedIdentityInfo: "MSI" } });
      const token = await inside.az(["account", "get-access-token", "--resource", "https://vault.azure.net"], vmEnv);
      expect(decodeJwt(token.accessToken).payload).toMatchObject({ aud: "https://vault.azure.net", oid: vm.identity.principalId });
      const secret = await inside.az(["keyvault", "secret", "show", "--vault-name", VAULT, "-n", "for-the-vm"], vmEnv);
      expect(secret.value).toBe("only with an identity");
      // Reader on its resource group reads it, and nothing above it.
      expect((await inside.az(["group", "show", "-n", "vm-rg"], vmEnv)).name).toBe("vm-rg");
      const denied = await inside.azRaw(["group", "show", "-n", RG], vmEnv);
      expect(denied.stderr).toContain("AuthorizationFailed");

      // --client-id selects a user-assigned identity (az 2.74 refuses the older --username form:
      // "Passing the managed identity ID with --username is no longer supported").
      const identity = await az.az(["identity", "show", "-g", RG, "-n", "az-id"]);
      await az.az(["vm", "identity", "assign", "-g", "vm-rg", "-n", "az-inside", "--identities", identity.id]);
      await inside.az(["logout"], vmEnv).catch(() => undefined);
      const [asUser] = await inside.az(["login", "--identity", "--client-id", identity.clientId], vmEnv);
      expect(asUser.id).toBe(subscriptionId);
      const userToken = await inside.az(["account", "get-access-token"], vmEnv);
      expect(decodeJwt(userToken.accessToken).payload.oid).toBe(identity.principalId);
    } finally {
      inside.dispose();
    }
  });
});
