// `npm run demo`: the seed's scenarios, narrated. Act 1: a VM reads a Key Vault secret through its
// managed identity, with no credentials in its code; then a user-assigned identity shared by two
// VMs; then the VM is deleted and its identity goes with it while the user-assigned one lives on.
// Act 2 (the seed's own example): an App Service app reads Azure Storage with its identity, is
// refused until it holds Storage Blob Data Reader, shares the user-assigned identity with the VMs,
// and its principal goes with it.
// Uses the running emulator (.data/endpoints.json) or starts one. Exits non-zero as soon as a
// step does not behave as described.
import { ClientSecretCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { BlobServiceClient } from "@azure/storage-blob";
import { execFile, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, optionsFromEnv, startStack, type Endpoints, type RunningStack } from "./stack.ts";
import { ensureTls } from "./tls.ts";

const ROLE = {
  keyVaultSecretsOfficer: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  storageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
};
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
let stepNumber = 0;

function step(title: string, what: string): void {
  console.log(`\n${bold(`${++stepNumber}. ${title}`)}\n   ${dim(what)}`);
}
function show(label: string, value: unknown): void {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  console.log(`   ${label}: ${text.split("\n").join("\n   ")}`);
}
function expect(condition: unknown, message: string): asserts condition {
  if (!condition) {
    console.error(`\n✗ ${message}`);
    process.exit(1);
  }
  console.log(`   ✓ ${message}`);
}

/** The running emulator, if its endpoints.json answers; otherwise one started here (MIE_DEMO_DATA_DIR). */
async function emulator(): Promise<{ endpoints: Endpoints; stop?: RunningStack["stop"] }> {
  const running = await runningEmulator();
  if (running) return { endpoints: running };
  const dataDir = process.env.MIE_DEMO_DATA_DIR!;
  console.log(dim(`(no emulator running: starting one in ${dataDir})`));
  const stack = await startStack({ ...optionsFromEnv(), dataDir, tlsDir: undefined });
  return {
    endpoints: stack.endpoints,
    stop: async () => {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function runningEmulator(): Promise<Endpoints | null> {
  const file = join(optionsFromEnv().dataDir, "endpoints.json");
  if (!existsSync(file)) return null;
  const endpoints = JSON.parse(readFileSync(file, "utf8")) as Endpoints;
  try {
    await fetch(`${endpoints.imds}/`, { signal: AbortSignal.timeout(1000) });
    return endpoints.keyVault && endpoints.storage ? endpoints : null;
  } catch {
    return null;
  }
}

/**
 * The demo talks HTTPS to the emulator with the unmodified SDKs, which trust what Node trusts:
 * NODE_EXTRA_CA_CERTS, read once at process start. So the demo finds the CA first (the running
 * emulator's, or a new data folder's, made here) and runs itself again with the variable set.
 * Works on every Node ≥ 20 (no runtime change of the default CAs needed).
 */
async function trustTheCa(): Promise<void> {
  if (process.env.MIE_DEMO_CHILD) return;
  const running = await runningEmulator();
  const dataDir = running ? undefined : mkdtempSync(join(tmpdir(), "mie-demo-"));
  const ca = running ? running.caCertificate : (await ensureTls(join(dataDir!, "tls"), optionsFromEnv().host)).caCertificatePath;
  const child = spawnSync(process.execPath, [join(ROOT, "scripts", "run.mjs"), "demo"], {
    stdio: "inherit",
    env: { ...process.env, NODE_EXTRA_CA_CERTS: ca, MIE_DEMO_CHILD: "1", ...(dataDir ? { MIE_DEMO_DATA_DIR: dataDir } : {}) },
  });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  process.exit(child.status ?? 1);
}

async function main(): Promise<void> {
  await trustTheCa();
  const { endpoints: e, stop } = await emulator();
  const admin = new ClientSecretCredential(e.tenantId, e.admin.clientId, e.admin.clientSecret, { authorityHost: e.login, disableInstanceDiscovery: true });
  const armToken = async () => (await admin.getToken("https://management.azure.com/.default")).token;
  const sub = `/subscriptions/${e.subscriptionId}`;
  const rg = `demo-${randomUUID().slice(0, 6)}`;
  const rgPath = `${sub}/resourceGroups/${rg}`;
  const arm = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${e.arm}${path}`, {
      method,
      headers: { authorization: `Bearer ${await armToken()}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
  const grant = (scope: string, role: string, principalId: string) =>
    arm("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId, principalType: "ServicePrincipal" },
    });
  const runOnVm = (endpoint: string, vaultUrl: string, secret: string, clientId?: string) =>
    new Promise<{ ok: boolean; value?: string; error?: string; status?: number }>((resolve, reject) => {
      execFile(
        process.execPath,
        [join(ROOT, "scripts/demo/vm-app.mjs"), vaultUrl, secret, ...(clientId ? [clientId] : [])],
        { env: { ...process.env, AZURE_POD_IDENTITY_AUTHORITY_HOST: endpoint, NODE_EXTRA_CA_CERTS: e.caCertificate, AZURE_CLIENT_ID: "" }, timeout: 60_000 },
        (err, stdout) => {
          const line = stdout.trim().split("\n").pop();
          if (!line) return reject(err ?? new Error("no output"));
          resolve(JSON.parse(line));
        },
      );
    });

  const runInSite = (siteEnv: Record<string, string>, blobUrl: string, container: string, blob: string, clientId?: string) =>
    new Promise<{ ok: boolean; value?: string; error?: string; status?: number; code?: string }>((resolve, reject) => {
      const env: Record<string, string | undefined> = { ...process.env, ...siteEnv, NODE_EXTRA_CA_CERTS: e.caCertificate, AZURE_CLIENT_ID: clientId ?? "" };
      delete env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
      execFile(process.execPath, [join(ROOT, "scripts/demo/site-app.mjs"), blobUrl, container, blob], { env, timeout: 60_000 }, (err, stdout) => {
        const line = stdout.trim().split("\n").pop();
        if (!line) return reject(err ?? new Error("no output"));
        resolve(JSON.parse(line));
      });
    });

  console.log(bold("Managed identities, end to end") + dim(`  (Resource Manager ${e.arm}, Azure AD ${e.login}, IMDS ${e.imds})`));
  // Presenters: the console draws every step below as it happens.
  if (e.console) console.log(dim(`  Watch each step live in the console: ${e.console}`));

  step("The admin creates a resource group and a Key Vault", "Resource Manager checks the admin's token (Owner on the subscription) and stores both.");
  expect((await arm("PUT", `${rgPath}?api-version=2024-11-01`, { location: "westus" })).status === 201, "resource group created (201)");
  const vaultName = `kv${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const vault = await arm("PUT", `${rgPath}/providers/Microsoft.KeyVault/vaults/${vaultName}?api-version=2024-11-01`, {
    location: "westus",
    properties: { tenantId: e.tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
  });
  expect(vault.status === 200 || vault.status === 201, `vault ${vaultName} created`);
  const vaultUrl: string = vault.body.properties.vaultUri;
  show("vaultUri", vaultUrl);

  step("The admin stores a secret", "Owner has no data-plane rights: the admin first grants itself Key Vault Secrets Officer on the vault, then uses @azure/keyvault-secrets.");
  expect((await grant(vault.body.id, ROLE.keyVaultSecretsOfficer, e.admin.objectId)).status === 201, "Key Vault Secrets Officer granted to the admin");
  const adminSecrets = new SecretClient(vaultUrl, admin, { disableChallengeResourceVerification: true });
  await adminSecrets.setSecret("db-password", "correct-horse-battery-staple");
  expect(true, "secret 'db-password' stored (401 challenge, token for https://vault.azure.net, retry)");

  step("Create a VM with a system-assigned identity", "Steps 1-3 of the flow: Resource Manager creates the service principal in Azure AD and configures the VM's IMDS with its client id and a certificate.");
  const vm1 = await arm("PUT", `${rgPath}/providers/Microsoft.Compute/virtualMachines/web-1?api-version=2024-11-01`, {
    location: "westus",
    identity: { type: "SystemAssigned" },
    properties: { hardwareProfile: { vmSize: "Standard_B1s" } },
  });
  expect(vm1.status === 201 && vm1.body.identity?.principalId, "VM web-1 created with identity.principalId");
  show("identity", vm1.body.identity);
  const imds1 = (await arm("POST", `${rgPath}/providers/Microsoft.Compute/virtualMachines/web-1/listImdsEndpoint?api-version=2024-11-01`)).body.endpoint;
  show("the VM's IMDS", imds1);

  step("Without a role, the VM is refused", "Steps 5-7: the app on the VM gets a token from IMDS (IMDS signs an assertion with the VM's certificate and redeems it at Azure AD), and Key Vault says 403.");
  const refused = await runOnVm(imds1, vaultUrl, "db-password");
  show("app on web-1", refused);
  expect(!refused.ok && refused.status === 403, "Key Vault answered 403 Forbidden (no role assignment)");

  step("Grant the VM's identity Key Vault Secrets User on the vault", "Step 4: role-based access control, enforced by Key Vault through Resource Manager's data-plane check.");
  expect((await grant(vault.body.id, ROLE.keyVaultSecretsUser, vm1.body.identity.principalId)).status === 201, "role assigned");
  const read = await runOnVm(imds1, vaultUrl, "db-password");
  show("app on web-1", read);
  expect(read.ok && read.value === "correct-horse-battery-staple", "the VM read the secret with no credentials in its code");

  step("A user-assigned identity shared by two VMs", "It is a resource of its own; attaching it needs Virtual Machine Contributor and Managed Identity Operator (the admin is Owner).");
  const uami = await arm("PUT", `${rgPath}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-identity?api-version=2024-11-30`, { location: "westus" });
  expect(uami.status === 201, "identity app-identity created, with its own service principal");
  show("identity", uami.body.properties);
  expect((await grant(vault.body.id, ROLE.keyVaultSecretsUser, uami.body.properties.principalId)).status === 201, "Key Vault Secrets User granted to app-identity");
  const attach = { location: "westus", identity: { type: "UserAssigned", userAssignedIdentities: { [uami.body.id]: {} } } };
  const endpoints: string[] = [];
  for (const name of ["worker-1", "worker-2"]) {
    const r = await arm("PUT", `${rgPath}/providers/Microsoft.Compute/virtualMachines/${name}?api-version=2024-11-01`, attach);
    expect(r.status === 201, `VM ${name} created with app-identity attached`);
    endpoints.push((await arm("POST", `${rgPath}/providers/Microsoft.Compute/virtualMachines/${name}/listImdsEndpoint?api-version=2024-11-01`)).body.endpoint);
  }
  for (const [i, endpoint] of endpoints.entries()) {
    const r = await runOnVm(endpoint, vaultUrl, "db-password", uami.body.properties.clientId);
    show(`app on worker-${i + 1}`, r);
    expect(r.ok, `worker-${i + 1} read the secret as app-identity`);
  }

  step("Delete web-1", "Its system-assigned identity shares its lifecycle: the service principal is deleted and IMDS stops issuing tokens for it.");
  expect((await arm("DELETE", `${rgPath}/providers/Microsoft.Compute/virtualMachines/web-1?api-version=2024-11-01`)).status === 200, "VM deleted");
  const graphToken = (await admin.getToken("https://graph.microsoft.com/.default")).token;
  const principal = await fetch(`${e.graph}/v1.0/servicePrincipals/${vm1.body.identity.principalId}`, { headers: { authorization: `Bearer ${graphToken}` } });
  show("Graph", `GET /v1.0/servicePrincipals/${vm1.body.identity.principalId} → ${principal.status}`);
  expect(principal.status === 404, "its service principal is gone from the directory");
  const token = await fetch(`${imds1}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&bypass_cache=true`, { headers: { Metadata: "true" } });
  const tokenBody = await token.json();
  show("IMDS of web-1", tokenBody);
  expect(token.status === 400 && tokenBody.error_description === "Identity not found", "token requests for web-1 fail: Identity not found");
  const after = await runOnVm(endpoints[0]!, vaultUrl, "db-password", uami.body.properties.clientId);
  expect(after.ok, "app-identity lives on: worker-1 still reads the secret");

  console.log(`\n${bold("Act 2: an App Service app reads Azure Storage without credentials")}`);

  step("The admin creates a storage account and a container, and uploads a blob", "Owner manages the account and its containers (actions) but holds no blob data rights: the admin grants itself Storage Blob Data Contributor first.");
  const accountName = `st${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const account = await arm("PUT", `${rgPath}/providers/Microsoft.Storage/storageAccounts/${accountName}?api-version=2024-01-01`, {
    location: "westus",
    kind: "StorageV2",
    sku: { name: "Standard_LRS" },
  });
  expect(account.status === 200 || account.status === 201, `storage account ${accountName} created`);
  const blobUrl: string = account.body.properties.primaryEndpoints.blob;
  show("primaryEndpoints.blob", blobUrl);
  const containerPath = `${account.body.id}/blobServices/default/containers/reports`;
  expect((await arm("PUT", `${containerPath}?api-version=2024-01-01`, { properties: {} })).status === 201, "container 'reports' created through Resource Manager");
  expect((await grant(account.body.id, ROLE.storageBlobDataContributor, e.admin.objectId)).status === 201, "Storage Blob Data Contributor granted to the admin");
  const adminBlobs = new BlobServiceClient(blobUrl, admin);
  const text = "quarterly numbers: all green";
  await adminBlobs.getContainerClient("reports").getBlockBlobClient("q4.txt").upload(text, Buffer.byteLength(text));
  expect(true, "blob reports/q4.txt uploaded with @azure/storage-blob (token for https://storage.azure.com)");

  step("Create an App Service plan and a web app with a system-assigned identity", "Resource Manager creates the site's service principal and configures the site's identity endpoint, the IDENTITY_ENDPOINT App Service gives the app.");
  expect([200, 201].includes((await arm("PUT", `${rgPath}/providers/Microsoft.Web/serverfarms/demo-plan?api-version=2023-01-01`, { location: "westus", sku: { name: "B1" } })).status), "plan demo-plan created");
  const site = await arm("PUT", `${rgPath}/providers/Microsoft.Web/sites/${rg}-app?api-version=2023-01-01`, {
    location: "westus",
    identity: { type: "SystemAssigned" },
    properties: { serverFarmId: `${rgPath}/providers/Microsoft.Web/serverfarms/demo-plan` },
  });
  expect([200, 201].includes(site.status) && site.body.identity?.principalId, `site ${rg}-app created with identity.principalId`);
  show("identity", site.body.identity);
  const siteEnv = (await arm("POST", `${site.body.id}/listIdentityEndpoint?api-version=2023-01-01`)).body;
  show("the site's environment", { IDENTITY_ENDPOINT: siteEnv.IDENTITY_ENDPOINT, IDENTITY_HEADER: "(secret)" });

  step("Without a role, the app is refused", "The app's DefaultAzureCredential gets a token from the site's identity endpoint; Blob Storage checks Resource Manager's role assignments and says no.");
  const denied = await runInSite(siteEnv, blobUrl, "reports", "q4.txt");
  show("app", denied);
  expect(!denied.ok && denied.status === 403 && denied.code === "AuthorizationPermissionMismatch", "Blob Storage answered 403 AuthorizationPermissionMismatch");

  step("Grant the site's identity Storage Blob Data Reader on the container", "A data role at the container's scope: blobs/read, nothing else.");
  expect((await grant(containerPath, ROLE.storageBlobDataReader, site.body.identity.principalId)).status === 201, "role assigned");
  const readBlob = await runInSite(siteEnv, blobUrl, "reports", "q4.txt");
  show("app", readBlob);
  expect(readBlob.ok && readBlob.value === text, "the app read the blob with no credentials in its code");

  step("The user-assigned identity of the VMs, on a second app", "app-identity is shared by the two VMs and now a site; the app chooses it with AZURE_CLIENT_ID.");
  expect((await grant(containerPath, ROLE.storageBlobDataReader, uami.body.properties.principalId)).status === 201, "Storage Blob Data Reader granted to app-identity");
  const site2 = await arm("PUT", `${rgPath}/providers/Microsoft.Web/sites/${rg}-api?api-version=2023-01-01`, {
    location: "westus",
    identity: { type: "UserAssigned", userAssignedIdentities: { [uami.body.id]: {} } },
    properties: { serverFarmId: `${rgPath}/providers/Microsoft.Web/serverfarms/demo-plan` },
  });
  expect([200, 201].includes(site2.status), `site ${rg}-api created with app-identity attached`);
  const site2Env = (await arm("POST", `${site2.body.id}/listIdentityEndpoint?api-version=2023-01-01`)).body;
  const shared = await runInSite(site2Env, blobUrl, "reports", "q4.txt", uami.body.properties.clientId);
  expect(shared.ok && shared.value === text, "the second app read the blob as app-identity");

  step("Delete the first app", "Its system-assigned identity shares its lifecycle: the principal is deleted and its identity endpoint stops answering.");
  expect([200, 204].includes((await arm("DELETE", `${site.body.id}?api-version=2023-01-01`)).status), "site deleted");
  const sitePrincipal = await fetch(`${e.graph}/v1.0/servicePrincipals/${site.body.identity.principalId}`, { headers: { authorization: `Bearer ${graphToken}` } });
  expect(sitePrincipal.status === 404, "its service principal is gone from the directory");
  const gone = await runInSite(siteEnv, blobUrl, "reports", "q4.txt");
  expect(!gone.ok, "the deleted app's identity endpoint no longer issues tokens");

  step("Clean up", "Deleting the resource group deletes the VMs, the sites, the storage account, the identity and the vault, and their principals.");
  expect((await arm("DELETE", `${rgPath}?api-version=2024-11-01`)).status === 200, "resource group deleted");
  await stop?.();
  console.log(`\n${bold("Every step behaved as described.")}`);
}

main().catch((err) => {
  console.error(`\n✗ demo failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
