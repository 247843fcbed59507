// The edge rehearsal: what `npm run deploy` would upload, run as Cloudflare would run it. The dry
// run writes every worker's config for a workers.dev subdomain (the same files a real deploy
// uploads, each pointing at the bundle the local server also runs); each worker then runs in its
// own `wrangler dev` (service bindings between them through wrangler's dev registry, as between
// deployed workers); an HTTPS front on 127.0.0.1:443 routes https://{worker}.{subdomain}.workers.dev
// to each (the names resolve to loopback in every Node process, test/support/loopback-dns.cjs).
// Then the seed's system-assigned flow runs against those URLs with the unmodified SDKs: a VM
// created with @azure/arm-compute, its IMDS base on the imds worker's URL, a token from
// ManagedIdentityCredential in the VM's own process verifying through discovery, and a Key Vault
// secret read with SecretClient once a role allows it.
import { ComputeManagementClient } from "@azure/arm-compute";
import { ResourceManagementClient } from "@azure/arm-resources";
import { ClientSecretCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, loadWorkerConfigs, pickFreePorts } from "../../scripts/stack.ts";
import { ensureTls } from "../../scripts/tls.ts";
import { tokenFromVm, type VmClient } from "../support/vm-process.ts";
import { EDGE_SUBDOMAIN, EDGE_TLS_DIR } from "./global-setup.ts";

const workers = loadWorkerConfigs();
const secret = randomBytes(24).toString("base64url");
const url = (folder: string) => `https://${workers.find((w) => w.folder === folder)!.name}.${EDGE_SUBDOMAIN}.workers.dev`;
const vars = workers.find((w) => w.folder === "aad")!.vars!;
const tenantId = vars.TENANT_ID!;
const subscriptionId = vars.SUBSCRIPTION_ID!;
const adminClientId = vars.ADMIN_CLIENT_ID!;
const ROLES = { keyVaultAdministrator: "00482a5a-887f-4fb3-b363-3b7fe8e74483", secretsUser: "4633458b-17de-408a-b874-0445c86b69e6" };

const processes: ChildProcess[] = [];
const output = new Map<string, string>();
let front: Server | null = null;
let persistDir: string;

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/emulator/health`)).status === 200;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  // 1. The deployment's artifacts, exactly as a workers.dev deploy writes them.
  const dryRun = spawnSync(process.execPath, [join(ROOT, "scripts", "run.mjs"), "deploy", "--dry-run"], {
    cwd: ROOT,
    env: { ...process.env, MIE_WORKERS_DEV_SUBDOMAIN: EDGE_SUBDOMAIN, MIE_DEPLOY_DOMAIN: "" },
    encoding: "utf8",
  });
  if (dryRun.status !== 0) throw new Error(`deploy --dry-run failed:\n${dryRun.stdout}\n${dryRun.stderr}`);
  for (const worker of workers) {
    const config = JSON.parse(readFileSync(join(ROOT, "dist", worker.folder, "wrangler.json"), "utf8"));
    if (config.vars?.ARM_URL !== url("arm")) throw new Error(`${worker.name}'s config does not name the workers.dev URLs`);
  }
  // The admin's secret: a Worker secret when deployed, .dev.vars next to the config under wrangler dev.
  for (const folder of ["aad", "console"]) writeFileSync(join(ROOT, "dist", folder, ".dev.vars"), `ADMIN_CLIENT_SECRET=${secret}\n`);

  // 2. One wrangler dev per worker.
  persistDir = mkdtempSync(join(tmpdir(), "mie-edge-"));
  const ports = Object.values(await pickFreePorts("127.0.0.1"));
  const inspectorPorts = Object.values(await pickFreePorts("127.0.0.1"));
  const portOf = new Map<string, number>();
  for (const [i, worker] of workers.entries()) {
    const port = ports[i]!;
    portOf.set(worker.name.toLowerCase(), port);
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"),
        "dev",
        "--config", join("dist", worker.folder, "wrangler.json"),
        "--ip", "127.0.0.1",
        "--port", String(port),
        "--inspector-port", String(inspectorPorts[i]!),
        "--persist-to", persistDir,
        "--show-interactive-dev-session=false",
      ],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    output.set(worker.name, "");
    const keep = (chunk: Buffer) => output.set(worker.name, (output.get(worker.name)! + chunk.toString()).slice(-20_000));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    processes.push(child);
  }
  const deadline = Date.now() + 240_000;
  for (const worker of workers) {
    while (!(await healthy(portOf.get(worker.name.toLowerCase())!))) {
      if (Date.now() > deadline) throw new Error(`${worker.name} did not answer under wrangler dev:\n${output.get(worker.name)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  // 3. The edge: https://{worker}.{subdomain}.workers.dev on 443, routed by host name.
  const tls = await ensureTls(EDGE_TLS_DIR, "127.0.0.1", [`*.${EDGE_SUBDOMAIN}.workers.dev`]);
  front = createServer({ cert: tls.certificatePem, key: tls.privateKeyPem }, (req, res) => {
    const host = String(req.headers.host ?? "").toLowerCase().replace(/:\d+$/, "");
    const port = portOf.get(host.replace(`.${EDGE_SUBDOMAIN}.workers.dev`, ""));
    if (!port || !host.endsWith(`.${EDGE_SUBDOMAIN}.workers.dev`)) {
      res.writeHead(404).end(`no worker at ${host}`);
      return;
    }
    const upstream = httpRequest({ host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    front!.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EACCES" ? new Error("The edge rehearsal serves https on 127.0.0.1:443: run it as root or with CAP_NET_BIND_SERVICE.") : err),
    );
    front!.listen(443, "127.0.0.1", resolve);
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
  for (const child of processes) child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 1_000));
  for (const child of processes) if (child.exitCode === null) child.kill("SIGKILL");
  if (persistDir) rmSync(persistDir, { recursive: true, force: true });
});

describe("the deployment's artifacts under wrangler dev, at workers.dev URLs", () => {
  const admin = () => new ClientSecretCredential(tenantId, adminClientId, secret, { authorityHost: url("aad"), disableInstanceDiscovery: true });
  let vmId: string;
  let principalId: string;
  let imdsBase: string;

  it("every worker answers at its own workers.dev URL over HTTPS, and the cloud metadata names them", async () => {
    for (const worker of workers) expect((await fetch(`${url(worker.folder)}/emulator/health`)).status).toBe(200);
    const metadata = await (await fetch(`${url("arm")}/metadata/endpoints?api-version=2022-09-01`)).json();
    expect(metadata.authentication.loginEndpoint).toBe(`${url("aad")}/`);
    expect(metadata.microsoftGraphResourceId).toBe(`${url("graph")}/`);
    const discovery = await (await fetch(`${url("aad")}/${tenantId}/v2.0/.well-known/openid-configuration`)).json();
    expect(discovery.token_endpoint).toBe(`${url("aad")}/${tenantId}/oauth2/v2.0/token`);
  });

  it("the admin (its secret a Worker secret) creates a VM with a system-assigned identity with the unmodified Resource Manager SDKs", async () => {
    const resources = new ResourceManagementClient(admin(), subscriptionId, { endpoint: url("arm"), credentialScopes: ["https://management.azure.com/.default"] });
    const compute = new ComputeManagementClient(admin(), subscriptionId, { endpoint: url("arm") });
    await resources.resourceGroups.createOrUpdate("edge-rg", { location: "westus" });
    const vm = await compute.virtualMachines.beginCreateOrUpdateAndWait("edge-rg", "edge-vm", {
      location: "westus",
      identity: { type: "SystemAssigned" },
      hardwareProfile: { vmSize: "Standard_B1s" },
      osProfile: { computerName: "edge-vm", adminUsername: "azureuser", adminPassword: "Secret-Passw0rd!" },
      storageProfile: { imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" } },
    });
    vmId = vm.id!;
    principalId = vm.identity!.principalId!;
    expect(principalId).toMatch(/^[0-9a-f-]{36}$/);
    const token = (await admin().getToken("https://management.azure.com/.default"))!.token;
    const listed = await fetch(`${url("arm")}${vmId}/listImdsEndpoint?api-version=2024-07-01`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    imdsBase = (await listed.json()).endpoint;
    expect(imdsBase).toMatch(new RegExp(`^${url("imds")}/vms/[0-9a-f]{40}$`));
  });

  it("the VM's code gets a token from its IMDS base with ManagedIdentityCredential; it verifies through discovery", async () => {
    const result = await tokenFromVm(imdsBase, "managed-identity-credential", "https://vault.azure.net/.default");
    expect(result.error, JSON.stringify(result)).toBeUndefined();
    const discovery = await (await fetch(`${url("aad")}/${tenantId}/.well-known/openid-configuration`)).json();
    const { payload } = await jwtVerify(result.token!, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: discovery.issuer, audience: "https://vault.azure.net", algorithms: ["RS256"] });
    expect(payload).toMatchObject({ oid: principalId, xms_mirid: vmId, iss: `https://sts.windows.net/${tenantId}/` });
  });

  it("the VM reads a Key Vault secret with SecretClient once a role allows it, and is refused before", async () => {
    const token = (await admin().getToken("https://management.azure.com/.default"))!.token;
    const arm = (method: string, path: string, body?: unknown) =>
      fetch(`${url("arm")}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    const vaultPath = `/subscriptions/${subscriptionId}/resourceGroups/edge-rg/providers/Microsoft.KeyVault/vaults/edge-vault-${randomBytes(3).toString("hex")}`;
    const created = await arm("PUT", `${vaultPath}?api-version=2024-11-01`, { location: "westus", properties: { tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true } });
    expect(created.status).toBe(201);
    const vaultUri = (await created.json()).properties.vaultUri as string;
    expect(vaultUri.startsWith(`${url("keyvault")}/`)).toBe(true);
    const grant = async (roleId: string, principal: string) => {
      const r = await arm("PUT", `${vaultPath}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=2022-04-01`, {
        properties: { roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`, principalId: principal, principalType: "ServicePrincipal" },
      });
      expect(r.status).toBe(201);
    };
    const adminObjectId = (await (await arm("GET", `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`)).json()).value[0].properties.principalId;
    await grant(ROLES.keyVaultAdministrator, adminObjectId);
    await new SecretClient(vaultUri, admin(), { disableChallengeResourceVerification: true }).setSecret("greeting", "hello from the edge");

    const denied: any = await tokenFromVm(imdsBase, "keyvault-get" as VmClient, vaultUri, { clientId: "greeting" });
    expect({ statusCode: denied.statusCode, code: denied.code }).toEqual({ statusCode: 403, code: "Forbidden" });
    await grant(ROLES.secretsUser, principalId);
    const read: any = await tokenFromVm(imdsBase, "keyvault-get" as VmClient, vaultUri, { clientId: "greeting" });
    expect(read.error, JSON.stringify(read)).toBeUndefined();
    expect(read.value).toBe("hello from the edge");
  });

  it("the console asks for the admin's secret, and takes it", async () => {
    const page = await fetch(`${url("console")}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="clientSecret"');
    const signedIn = await fetch(`${url("console")}/sign-in`, { method: "POST", redirect: "manual", body: new URLSearchParams({ clientSecret: secret }) });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("set-cookie")).toMatch(/; Secure/);
    const context = await fetch(`${url("console")}/api/context`, { headers: { cookie: signedIn.headers.get("set-cookie")!.split(";")[0]! } });
    expect((await context.json()).subscriptionId).toBe(subscriptionId);
  });
});
