// Python's Azure SDK (Debian 13's python3-azure: azure-identity 1.23, azure-mgmt-resource 23.4,
// azure-keyvault-secrets 4.10 whose default api-version is 7.6-preview.2), unmodified, against a
// fresh emulator, set up as the README's "Using Python" says: the CA through REQUESTS_CA_BUNDLE,
// a VM's IMDS base through AZURE_POD_IDENTITY_AUTHORITY_HOST.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TestEmulator } from "../support/emulator.ts";
import { ChrootSession } from "./az-root.ts";

const VAULT = "pykv1";

let emulator: TestEmulator;
let py: ChrootSession;
let vm: { principalId: string; imds: string };
let vaultId: string;

/** The claims of a token, decoded in Python without verification (json of the payload). */
const CLAIMS = `
import base64, json
def claims(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
`;

beforeAll(async () => {
  emulator = await new TestEmulator().start();
  py = new ChrootSession("python", emulator.endpoints.caCertificate);
  py.addHosts([`${VAULT}.vault.localhost`]);
  await emulator.createResourceGroup("py-rg");
  const created = await emulator.createVm("py-rg", "py-vm", { type: "SystemAssigned" });
  vm = { principalId: created.identity.principalId, imds: await emulator.imdsEndpoint("py-rg", "py-vm") };
  const sub = emulator.subscriptionPath;
  vaultId = `${sub}/resourceGroups/py-rg/providers/Microsoft.KeyVault/vaults/${VAULT}`;
  const vault = await emulator.arm("PUT", `${vaultId}?api-version=2023-07-01`, {
    location: "westus",
    properties: { tenantId: emulator.endpoints.tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
  });
  if (vault.status !== 200 && vault.status !== 201) throw new Error(`vault: ${vault.status} ${JSON.stringify(vault.body)}`);
  // Key Vault Secrets User for the VM on the vault; Reader on its resource group.
  for (const [role, scope] of [
    ["4633458b-17de-408a-b874-0445c86b69e6", vaultId],
    ["acdd72a7-3385-48ef-bd42-f606fba81ae7", `${sub}/resourceGroups/py-rg`],
  ] as const) {
    const r = await emulator.arm("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId: vm.principalId, principalType: "ServicePrincipal" },
    });
    if (r.status !== 201) throw new Error(`role assignment: ${r.status} ${JSON.stringify(r.body)}`);
  }
  // The admin writes the secret the VM will read (Key Vault Secrets Officer).
  const officer = await emulator.arm("PUT", `${vaultId}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`, {
    properties: {
      roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/b86a8fe4-44ce-4948-aee5-eccb2c155cd7`,
      principalId: emulator.endpoints.admin.objectId,
      principalType: "ServicePrincipal",
    },
  });
  if (officer.status !== 201) throw new Error(`officer: ${officer.status} ${JSON.stringify(officer.body)}`);
});

afterAll(async () => {
  py?.dispose();
  await emulator?.dispose();
});

describe("Python's azure-identity", () => {
  test("ManagedIdentityCredential and DefaultAzureCredential through AZURE_POD_IDENTITY_AUTHORITY_HOST", async () => {
    const result = await py.python(
      `${CLAIMS}
from azure.identity import ManagedIdentityCredential, DefaultAzureCredential
mi = ManagedIdentityCredential().get_token("https://management.azure.com/.default")
dac = DefaultAzureCredential(exclude_cli_credential=True).get_token("https://vault.azure.net/.default")
print(json.dumps({"mi": claims(mi.token), "dac": claims(dac.token), "expires_on": mi.expires_on}))
`,
      { AZURE_POD_IDENTITY_AUTHORITY_HOST: vm.imds },
    );
    // Python names the resource without the trailing slash (scope minus "/.default").
    expect(result.mi).toMatchObject({ oid: vm.principalId, aud: "https://management.azure.com", xms_mirid: expect.stringContaining("/virtualMachines/py-vm") });
    expect(result.dac).toMatchObject({ oid: vm.principalId, aud: "https://vault.azure.net" });
    expect(result.expires_on).toBeGreaterThan(Date.now() / 1000);
  });

  test("ClientSecretCredential with disable_instance_discovery, and ResourceManagementClient", async () => {
    const e = emulator.endpoints;
    const result = await py.python(`
import json
from azure.identity import ClientSecretCredential
from azure.mgmt.resource import ResourceManagementClient
credential = ClientSecretCredential("${e.tenantId}", "${e.admin.clientId}", "${e.admin.clientSecret}",
                                    authority="${e.login}", disable_instance_discovery=True)
client = ResourceManagementClient(credential, "${e.subscriptionId}", base_url="${e.arm}",
                                  credential_scopes=["https://management.azure.com/.default"])
client.resource_groups.create_or_update("py-made", {"location": "eastus"})
print(json.dumps({"groups": sorted(g.name for g in client.resource_groups.list())}))
`);
    expect(result.groups).toEqual(expect.arrayContaining(["py-rg", "py-made"]));
    expect((await emulator.arm("GET", emulator.rgPath("py-made"))).status).toBe(200);
  });

  test("a ManagedIdentityCredential that Azure would refuse is refused: an identity the VM does not have", async () => {
    const result = await py.python(
      `
import json
from azure.identity import ManagedIdentityCredential
from azure.core.exceptions import ClientAuthenticationError
try:
    ManagedIdentityCredential(client_id="00000000-0000-4000-a000-000000000bad").get_token("https://vault.azure.net/.default")
    print(json.dumps({"refused": False}))
except ClientAuthenticationError as e:
    print(json.dumps({"refused": True, "message": str(e)}))
`,
      { AZURE_POD_IDENTITY_AUTHORITY_HOST: vm.imds },
    );
    // IMDS's 400 (invalid_request, "Identity not found") is what azure-identity reports as the
    // identity being unavailable on this host, as it does on Azure.
    expect(result.refused).toBe(true);
    expect(result.message).toMatch(/ManagedIdentityCredential authentication unavailable.*invalid_request/);
  });
});

describe("Python's azure-keyvault-secrets with its default api-version", () => {
  test("SecretClient at the vault's host name, as the VM's identity", async () => {
    const port = new URL(emulator.endpoints.keyVault!).port;
    const vaultUrl = `https://${VAULT}.vault.localhost:${port}`;
    // The admin writes with az-independent Python too, by host name.
    const e = emulator.endpoints;
    const written = await py.python(`
import json
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient
credential = ClientSecretCredential("${e.tenantId}", "${e.admin.clientId}", "${e.admin.clientSecret}",
                                    authority="${e.login}", disable_instance_discovery=True)
client = SecretClient("${vaultUrl}", credential)
secret = client.set_secret("db-password", "from python")
print(json.dumps({"id": secret.id, "api_version": client.api_version}))
`);
    expect(written.api_version).toBe("7.6-preview.2");
    expect(written.id).toMatch(new RegExp(`^https://${VAULT}\\.vault\\.localhost:${port}/secrets/db-password/[0-9a-f]{32}$`));

    const read = await py.python(
      `
import json
from azure.identity import ManagedIdentityCredential
from azure.keyvault.secrets import SecretClient, KeyVaultSecretIdentifier
client = SecretClient("${vaultUrl}", ManagedIdentityCredential())
secret = client.get_secret("db-password")
parsed = KeyVaultSecretIdentifier(secret.id)
names = [p.name for p in client.list_properties_of_secrets()]
print(json.dumps({"value": secret.value, "vault_url": parsed.vault_url, "name": parsed.name, "names": names}))
`,
      { AZURE_POD_IDENTITY_AUTHORITY_HOST: vm.imds },
    );
    expect(read).toEqual({ value: "from python", vault_url: vaultUrl, name: "db-password", names: ["db-password"] });

    // Secrets User cannot write: Key Vault's 403 reaches Python as HttpResponseError with Forbidden.
    const denied = await py.python(
      `
import json
from azure.identity import ManagedIdentityCredential
from azure.keyvault.secrets import SecretClient
from azure.core.exceptions import HttpResponseError
try:
    SecretClient("${vaultUrl}", ManagedIdentityCredential()).set_secret("nope", "x")
    print(json.dumps({"denied": False}))
except HttpResponseError as e:
    print(json.dumps({"denied": True, "status": e.status_code, "code": e.error.code if e.error else None}))
`,
      { AZURE_POD_IDENTITY_AUTHORITY_HOST: vm.imds },
    );
    expect(denied).toEqual({ denied: true, status: 403, code: "Forbidden" });
  });
});

describe("Python on App Service: a site's identity and Blob Storage", () => {
  test("ManagedIdentityCredential from the site's environment reads a blob with BlobServiceClient", async () => {
    const sub = emulator.subscriptionPath;
    const rg = `${sub}/resourceGroups/py-rg`;
    const plan = await emulator.arm("PUT", `${rg}/providers/Microsoft.Web/serverfarms/py-plan?api-version=2023-01-01`, { location: "westus", sku: { name: "B1" } });
    expect([200, 201]).toContain(plan.status);
    const site = await emulator.arm("PUT", `${rg}/providers/Microsoft.Web/sites/py-site?api-version=2023-01-01`, {
      location: "westus",
      identity: { type: "SystemAssigned" },
      properties: { serverFarmId: `${rg}/providers/Microsoft.Web/serverfarms/py-plan` },
    });
    expect([200, 201]).toContain(site.status);
    const siteEnv = (await emulator.arm("POST", `${site.body.id}/listIdentityEndpoint?api-version=2023-01-01`)).body;
    const account = await emulator.arm("PUT", `${rg}/providers/Microsoft.Storage/storageAccounts/pystore1?api-version=2024-01-01`, {
      location: "westus",
      kind: "StorageV2",
      sku: { name: "Standard_LRS" },
    });
    expect([200, 201]).toContain(account.status);
    const blobUrl: string = account.body.properties.primaryEndpoints.blob;
    // The admin uploads with a key (Shared Key: az's default), the site reads with its identity.
    const keys = await emulator.arm("POST", `${account.body.id}/listKeys?api-version=2024-01-01`);
    const key: string = keys.body.keys[0].value;
    await py.python(`
import json
from azure.storage.blob import BlobServiceClient
service = BlobServiceClient("${blobUrl}", credential={"account_name": "pystore1", "account_key": "${key}"})
service.create_container("data")
service.get_blob_client("data", "hello.txt").upload_blob(b"hello from python")
print(json.dumps({"ok": True}))
`);
    const role = await emulator.arm("PUT", `${account.body.id}/blobServices/default/containers/data/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`, {
      properties: {
        roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1`,
        principalId: site.body.identity.principalId,
        principalType: "ServicePrincipal",
      },
    });
    expect(role.status).toBe(201);
    const read = await py.python(
      `${CLAIMS}
from azure.identity import ManagedIdentityCredential
from azure.storage.blob import BlobServiceClient
credential = ManagedIdentityCredential()
token = credential.get_token("https://storage.azure.com/.default")
service = BlobServiceClient("${blobUrl}", credential=credential)
data = service.get_blob_client("data", "hello.txt").download_blob().readall().decode()
print(json.dumps({"claims": claims(token.token), "data": data}))
`,
      siteEnv,
    );
    expect(read.data).toBe("hello from python");
    expect(read.claims).toMatchObject({ oid: site.body.identity.principalId, xms_mirid: site.body.id, aud: "https://storage.azure.com" });
  });
});
