// `npm run bench`: the whole emulator in this process on a fresh data folder and free ports,
// then measured under load. Prints how long the stack took to become ready and, for each
// measurement, requests per second, p50/p99 latency and the non-2xx count. Exits non-zero
// if any measured request failed (a bench of errors is not a bench).
//
//   BENCH_DURATION     seconds per measured path (default 10)
//   BENCH_CONNECTIONS  concurrent connections (default 16)
//   BENCH_ONLY         run only the measurements whose name contains this text (case-insensitive),
//                      e.g. BENCH_ONLY="system-assigned identity (sequential" npm run bench
//
// The MIE_* knobs of `npm start` apply too (tenant, subscription, token lifetime, RBAC), except
// the data folder, the TLS folder and the ports, which are always fresh here.
import { randomUUID } from "node:crypto";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ROOT, optionsFromEnv, pickFreePorts, portKnobs, startStack, type Endpoints, type RunningStack, type StackOptions } from "./stack.ts";

// ---------------------------------------------------------------------------------------------
// autocannon has no bundled types (and @types/autocannon is not a dependency): the part used here.
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  method?: string;
  headers?: Record<string, string>;
  timeout?: number;
}
interface Histogram {
  average: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  statusCodeStats: Record<string, { count: number }>;
  latency: Histogram;
  requests: Histogram & { sent: number };
}
type Autocannon = (options: AutocannonOptions) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

// ---------------------------------------------------------------------------------------------
// Settings

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

interface BenchSettings {
  /** Seconds per measured path. */
  duration: number;
  connections: number;
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP(S) client for the setup calls (the stack's CA, no global agent state).

interface HttpResult {
  status: number;
  text: string;
  json: unknown;
}

/** `agent`: a kept-alive agent for sequential measurements; by default one connection per call. */
function send(
  method: string,
  url: string,
  options: { ca: string; headers?: Record<string, string>; body?: string; agent?: HttpsAgent },
): Promise<HttpResult> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.body !== undefined) headers["content-length"] = String(Buffer.byteLength(options.body));
  const requestFn = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolvePromise, reject) => {
    const req = requestFn(target, { method, headers, ca: options.ca, agent: options.agent ?? false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown = undefined;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON; callers look at text
        }
        resolvePromise({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: timeout`)));
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** p50, p99 and mean of sequential timings (ms). */
function timingsOf(times: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: pick(0.5), p99: pick(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

function expectOk(what: string, result: HttpResult): Record<string, unknown> {
  if (result.status < 200 || result.status > 299) {
    throw new Error(`${what} failed: HTTP ${result.status} ${result.text.slice(0, 500)}`);
  }
  if (result.json === null || typeof result.json !== "object") {
    throw new Error(`${what}: expected a JSON object, got ${result.text.slice(0, 200)}`);
  }
  return result.json as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// What every measurement gets: the running stack, an admin token for Resource Manager, and a
// VM with a system-assigned identity and its IMDS base.

interface BenchContext {
  endpoints: Endpoints;
  /** PEM of the stack's CA (trust it for https calls). */
  ca: string;
  settings: BenchSettings;
  /** Bearer token of the admin (Owner on the subscription) for https://management.azure.com. */
  armToken: string;
  /** Resource Manager call as the admin; resolves with the parsed body, throws on non-2xx. */
  arm(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  resourceGroup: string;
  vmName: string;
  /** The VM's IMDS base URL (from listImdsEndpoint), e.g. http://127.0.0.1:port/vms/<key>. */
  imdsEndpoint: string;
}

interface Row {
  path: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** Connection errors and timeouts (no HTTP status at all). */
  errors: number;
  statusCodes: Record<string, number>;
}

interface Measurement {
  name: string;
  run(ctx: BenchContext): Promise<Row[]>;
}

/** Load on one URL with autocannon; one table row. */
async function load(
  label: string,
  url: string,
  settings: BenchSettings,
  headers: Record<string, string>,
  request: { method?: "GET" | "POST"; body?: string } = {},
): Promise<Row> {
  process.stdout.write(`  ${label}: ${settings.connections} connections for ${settings.duration} s ... `);
  const result = await autocannon({
    url,
    connections: settings.connections,
    duration: settings.duration,
    headers,
    timeout: 30,
    ...(request.method ? { method: request.method } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  process.stdout.write(`${result.requests.total} requests\n`);
  return {
    path: label,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statusCodes,
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements

/** IMDS token endpoint: the cached path, and a fresh token on every request. */
const imdsTokens: Measurement = {
  name: "IMDS token (system-assigned identity)",
  async run(ctx) {
    const base = `${ctx.imdsEndpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent("https://vault.azure.net")}`;
    const headers = { Metadata: "true" };
    await keyPoolSettled();
    const paths: [string, string][] = [
      ["imds token (cached)", base],
      ["imds token (bypass_cache)", `${base}&bypass_cache=true`],
    ];
    // One request each first: it must work before it is worth measuring (and it fills the cache).
    for (const [label, url] of paths) {
      const body = expectOk(`${label} warm-up`, await send("GET", url, { ca: ctx.ca, headers }));
      if (typeof body.access_token !== "string") throw new Error(`${label} warm-up: no access_token in ${JSON.stringify(body)}`);
    }
    const rows: Row[] = [];
    for (const [label, url] of paths) rows.push(await load(label, url, ctx.settings, headers));
    return rows;
  },
};

/**
 * The cost of an authorization check as the tenant grows: the VM's identity reads its VM through
 * Resource Manager (authenticate, then check `virtualMachines/read` over its one assignment), and
 * reads a Key Vault secret (the data-plane check Key Vault asks of Resource Manager over the
 * service binding), first with 10 role assignments in the tenant, then with 10,000. Assignments are indexed by
 * principal, so the two rows should match; a check that scanned the tenant would not.
 */
const authorizationCheck: Measurement = {
  name: "Authorization check (10 and 10,000 role assignments in the tenant)",
  async run(ctx) {
    const token = expectOk(
      "VM identity token",
      await send("GET", `${ctx.imdsEndpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent("https://management.azure.com/")}`, {
        ca: ctx.ca,
        headers: { Metadata: "true" },
      }),
    ).access_token as string;
    const oid = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).oid as string;
    const sub = `/subscriptions/${ctx.endpoints.subscriptionId}`;
    const reader = `${sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`;
    const assign = (scope: string, principalId: string) =>
      ctx.arm("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
        properties: { roleDefinitionId: reader, principalId, principalType: "ServicePrincipal" },
      });
    // Other principals to hold the bulk of the assignments (assignments must name real principals).
    const holders: string[] = [];
    for (let i = 0; i < 5; i++) {
      const identity = await ctx.arm("PUT", `${sub}/resourceGroups/${ctx.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/bench-holder-${i}?api-version=2024-11-30`, { location: "westus" });
      holders.push((identity.properties as { principalId: string }).principalId);
    }
    keyPoolDrawn();
    await assign(`${sub}/resourceGroups/${ctx.resourceGroup}`, oid);
    // A vault with one secret the identity may read (Key Vault Secrets User), and one the admin may write.
    const vault = await ctx.arm("PUT", `${sub}/resourceGroups/${ctx.resourceGroup}/providers/Microsoft.KeyVault/vaults/benchkv${randomUUID().slice(0, 8)}?api-version=2024-11-01`, {
      location: "westus",
      properties: { tenantId: ctx.endpoints.tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
    });
    const vaultId = vault.id as string;
    const vaultUri = (vault.properties as { vaultUri: string }).vaultUri;
    const grantRole = (role: string, principalId: string) =>
      ctx.arm("PUT", `${vaultId}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
        properties: { roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId, principalType: "ServicePrincipal" },
      });
    await grantRole("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", ctx.endpoints.admin.objectId); // Key Vault Secrets Officer
    await grantRole("4633458b-17de-408a-b874-0445c86b69e6", oid); // Key Vault Secrets User
    const adminVaultToken = await clientCredentialsToken(ctx, "https://vault.azure.net/.default");
    expectOk(
      "set bench secret",
      await send("PUT", `${vaultUri}secrets/bench-secret?api-version=7.5`, {
        ca: ctx.ca,
        headers: { authorization: `Bearer ${adminVaultToken}`, "content-type": "application/json" },
        body: JSON.stringify({ value: "bench" }),
      }),
    );
    const vaultToken = expectOk(
      "VM identity token for Key Vault",
      await send("GET", `${ctx.imdsEndpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent("https://vault.azure.net")}`, {
        ca: ctx.ca,
        headers: { Metadata: "true" },
      }),
    ).access_token as string;
    const secretUrl = `${vaultUri}secrets/bench-secret?api-version=7.5`;
    const vaultHeaders = { authorization: `Bearer ${vaultToken}` };
    expectOk("secret read warm-up", await send("GET", secretUrl, { ca: ctx.ca, headers: vaultHeaders }));
    let total = 5; // the admin's Owner, the identity's Reader, the two vault roles... and one more below
    await assign(`${sub}/resourceGroups/bench-scope-first`, holders[0]!);
    const grow = async (target: number) => {
      const pending: Promise<unknown>[] = [];
      for (; total < target; total++) {
        const i = total;
        pending.push(assign(`${sub}/resourceGroups/bench-scope-${i}`, holders[i % holders.length]!));
        if (pending.length >= 24) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
    };
    const url = `${ctx.endpoints.arm}${sub}/resourceGroups/${ctx.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${ctx.vmName}?api-version=2024-11-01`;
    const headers = { authorization: `Bearer ${token}` };
    expectOk("authorized read warm-up", await send("GET", url, { ca: ctx.ca, headers }));
    const rows: Row[] = [];
    await grow(10);
    await keyPoolSettled();
    rows.push(await load("arm read, 10 assignments", url, ctx.settings, headers));
    rows.push(await load("vault secret read, 10 assignments", secretUrl, ctx.settings, vaultHeaders));
    const started = Date.now();
    await grow(10_000);
    console.log(`  (created ${total - 10} more role assignments in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    rows.push(await load("arm read, 10,000 assignments", url, ctx.settings, headers));
    rows.push(await load("vault secret read, 10,000 assignments", secretUrl, ctx.settings, vaultHeaders));
    return rows;
  },
};

/**
 * VM create through a deployment, as `az vm create` sends it (a template with a VNet, NSG, public
 * IP, NIC and a VM with a system-assigned identity), one after another on one kept-alive
 * connection: 20 runs, p50 and p99 of the whole PUT (template validation, five resources applied
 * through the registry, a principal and its certificate created, IMDS configured).
 */
const vmCreateThroughDeployment: Measurement = {
  name: "VM create through a deployment (az vm create's template, 20 sequential runs)",
  async run(ctx) {
    const sub = `/subscriptions/${ctx.endpoints.subscriptionId}`;
    const rg = `${sub}/resourceGroups/${ctx.resourceGroup}`;
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: ctx.ca });
    const template = (i: number) => {
      const vm = `dvm${i}`;
      const id = (type: string, name: string) => `${rg}/providers/${type}/${name}`;
      return {
        $schema: "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        contentVersion: "1.0.0.0",
        parameters: {},
        resources: [
          { name: `${vm}VNET`, type: "Microsoft.Network/virtualNetworks", location: "westus", apiVersion: "2015-06-15", dependsOn: [], properties: { addressSpace: { addressPrefixes: ["10.0.0.0/16"] }, subnets: [{ name: `${vm}Subnet`, properties: { addressPrefix: "10.0.0.0/24" } }] } },
          { name: `${vm}NSG`, type: "Microsoft.Network/networkSecurityGroups", location: "westus", apiVersion: "2015-06-15", dependsOn: [], properties: { securityRules: [] } },
          { name: `${vm}PublicIP`, type: "Microsoft.Network/publicIPAddresses", location: "westus", apiVersion: "2022-01-01", dependsOn: [], properties: { publicIPAllocationMethod: "Static" }, sku: { name: "Standard" } },
          {
            name: `${vm}VMNic`, type: "Microsoft.Network/networkInterfaces", location: "westus", apiVersion: "2015-06-15",
            dependsOn: [`Microsoft.Network/virtualNetworks/${vm}VNET`, `Microsoft.Network/networkSecurityGroups/${vm}NSG`, `Microsoft.Network/publicIpAddresses/${vm}PublicIP`],
            properties: {
              ipConfigurations: [{ name: `ipconfig${vm}`, properties: { privateIPAllocationMethod: "Dynamic", subnet: { id: `${id("Microsoft.Network/virtualNetworks", `${vm}VNET`)}/subnets/${vm}Subnet` }, publicIPAddress: { id: id("Microsoft.Network/publicIPAddresses", `${vm}PublicIP`) } } }],
              networkSecurityGroup: { id: id("Microsoft.Network/networkSecurityGroups", `${vm}NSG`) },
            },
          },
          {
            name: vm, type: "Microsoft.Compute/virtualMachines", location: "westus", apiVersion: "2024-11-01", dependsOn: [`Microsoft.Network/networkInterfaces/${vm}VMNic`],
            identity: { type: "SystemAssigned" },
            properties: { hardwareProfile: { vmSize: "Standard_DS1_v2" }, networkProfile: { networkInterfaces: [{ id: id("Microsoft.Network/networkInterfaces", `${vm}VMNic`) }] }, storageProfile: { imageReference: { publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2", version: "latest" } } },
          },
        ],
      };
    };
    const times: number[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const body = JSON.stringify({ properties: { mode: "incremental", parameters: {}, template: template(i) } });
        const started = performance.now();
        const result = await send("PUT", `${ctx.endpoints.arm}${rg}/providers/Microsoft.Resources/deployments/vm_deploy_${i}?api-version=2024-11-01`, {
          ca: ctx.ca,
          agent,
          headers: { authorization: `Bearer ${ctx.armToken}`, "content-type": "application/json" },
          body,
        });
        times.push(performance.now() - started);
        const doc = expectOk(`deployment ${i}`, result) as { properties?: { provisioningState?: string } };
        if (doc.properties?.provisioningState !== "Succeeded") throw new Error(`deployment ${i}: ${result.text.slice(0, 500)}`);
      }
    } finally {
      agent.destroy();
    }
    const { p50, p99, mean } = timingsOf(times);
    console.log(`  20 deployments: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
    keyPoolDrawn();
    return [{ path: "vm create via deployment (sequential)", requestsPerSecond: 1000 / mean, p50, p99, non2xx: 0, errors: 0, statusCodes: {} }];
  },
};

/**
 * VM create with a system-assigned identity, as the SDKs and `az vm create --assign-identity`
 * send it: 50 PUTs of a minimal VM (no NIC) one after another on one kept-alive TLS connection,
 * p50 and p99 of the whole PUT (validation, a principal and its certificate in the authority,
 * IMDS configured, the subscription index). New principals' keys come from Resource Manager's
 * key pool, which fills in the background after the tenant's first identity (the bench VM of the
 * setup): measured as a running emulator meets creates, so this first waits for the pool to say it
 * is ready (its log line; at most 60 s, and not at all with MIE_LOG=off). 50 creates are more than
 * the pool holds (32): the last ones generate their key inline, which is what p99 shows.
 */
const vmCreateSystemAssigned: Measurement = {
  name: "VM create with a system-assigned identity (sequential PUTs, one kept-alive TLS connection)",
  async run(ctx) {
    await keyPoolSettled();
    const rg = `/subscriptions/${ctx.endpoints.subscriptionId}/resourceGroups/${ctx.resourceGroup}`;
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: ctx.ca });
    const runs = 50;
    const times: number[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        const body = JSON.stringify({ location: "westus", identity: { type: "SystemAssigned" }, properties: { hardwareProfile: { vmSize: "Standard_B1s" } } });
        const started = performance.now();
        const result = await send("PUT", `${ctx.endpoints.arm}${rg}/providers/Microsoft.Compute/virtualMachines/sa-vm-${i}?api-version=2024-11-01`, {
          ca: ctx.ca,
          agent,
          headers: { authorization: `Bearer ${ctx.armToken}`, "content-type": "application/json" },
          body,
        });
        times.push(performance.now() - started);
        const doc = expectOk(`VM create ${i}`, result) as { identity?: { principalId?: string } };
        if (result.status !== 201 || typeof doc.identity?.principalId !== "string") throw new Error(`VM create ${i}: ${result.status} ${result.text.slice(0, 500)}`);
      }
    } finally {
      agent.destroy();
    }
    const { p50, p99, mean } = timingsOf(times);
    console.log(`  ${runs} creates: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
    keyPoolDrawn();
    return [{ path: "vm create, system-assigned (sequential)", requestsPerSecond: 1000 / mean, p50, p99, non2xx: 0, errors: 0, statusCodes: {} }];
  },
};

/** When Resource Manager's credential key pool last said it is full (its log line; see vmCreateSystemAssigned). */
let keyPoolReadyAt: number | null = null;
function watchWorkerLine(line: string): void {
  if (/credential key pool: \d+ keys ready/.test(line)) keyPoolReadyAt = performance.now();
}

/** Principals were just created: the pool refills in the background from now on. */
function keyPoolDrawn(): void {
  keyPoolReadyAt = null;
}

/**
 * Waits until the key pool says it is full again (its log line; at most 60 s, not at all with
 * MIE_LOG=off). Its refill generates RSA keys on the runtime's one thread (~50 ms each): a load
 * measured meanwhile would measure the refill, not the path under load.
 */
async function keyPoolSettled(): Promise<void> {
  const waitStarted = performance.now();
  const logged = (process.env.MIE_LOG ?? "info").toLowerCase() !== "off";
  while (logged && keyPoolReadyAt === null && performance.now() - waitStarted < 60_000) {
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`  key pool ${keyPoolReadyAt === null ? "not reported full (log off?); measuring anyway" : "full"} (waited ${(performance.now() - waitStarted).toFixed(0)} ms)`);
}

/**
 * Blob throughput: Put Blob and Get Blob of 1 MB (20 each) and 64 MB (3 each), one after another
 * on one kept-alive TLS connection, as the admin with Storage Blob Data Contributor (a bearer
 * token, RBAC checked per request). The body streams through the front into R2 (Miniflare's
 * local R2 on disk here); MB/s is bytes over the whole request time.
 */
const blobThroughput: Measurement = {
  name: "Blob upload and download (1 MB x 20, 64 MB x 3, sequential)",
  async run(ctx) {
    const sub = `/subscriptions/${ctx.endpoints.subscriptionId}`;
    const account = `bench${randomUUID().replace(/-/g, "").slice(0, 10)}`;
    const accountId = `${sub}/resourceGroups/${ctx.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${account}`;
    const created = await ctx.arm("PUT", `${accountId}?api-version=2024-01-01`, { location: "westus", kind: "StorageV2", sku: { name: "Standard_LRS" } });
    const blobBase = String((created.properties as { primaryEndpoints: { blob: string } }).primaryEndpoints.blob).replace(/\/+$/, "");
    await ctx.arm("PUT", `${accountId}/blobServices/default/containers/bench?api-version=2024-01-01`, { properties: {} });
    await ctx.arm("PUT", `${accountId}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      properties: {
        roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`,
        principalId: ctx.endpoints.admin.objectId,
        principalType: "ServicePrincipal",
      },
    });
    const token = await clientCredentialsToken(ctx, "https://storage.azure.com/.default");
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: ctx.ca });
    const call = (method: "PUT" | "GET", name: string, body?: Buffer) =>
      new Promise<{ status: number; bytes: number }>((resolvePromise, reject) => {
        const headers: Record<string, string> = { authorization: `Bearer ${token}`, "x-ms-version": "2025-01-05" };
        if (body) Object.assign(headers, { "x-ms-blob-type": "BlockBlob", "content-length": String(body.length), "content-type": "application/octet-stream" });
        const req = httpsRequest(`${blobBase}/bench/${name}`, { method, agent, headers }, (res) => {
          let bytes = 0;
          res.on("data", (c: Buffer) => (bytes += c.length));
          res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, bytes }));
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
      });
    const rows: Row[] = [];
    try {
      for (const [label, size, runs] of [["1 MB", 1024 * 1024, 20], ["64 MB", 64 * 1024 * 1024, 3]] as const) {
        const data = Buffer.alloc(size, 7);
        for (const method of ["PUT", "GET"] as const) {
          const times: number[] = [];
          let failures = 0;
          for (let i = 0; i < runs; i++) {
            const started = performance.now();
            const r = await call(method, `blob-${size}-${i}`, method === "PUT" ? data : undefined);
            times.push(performance.now() - started);
            if (r.status !== (method === "PUT" ? 201 : 200) || (method === "GET" && r.bytes !== size)) failures++;
          }
          const { p50, p99 } = timingsOf(times);
          const seconds = times.reduce((a, b) => a + b, 0) / 1000;
          const what = `blob ${method === "PUT" ? "upload" : "download"} ${label}`;
          console.log(`  ${what}: ${((size * runs) / (1024 * 1024) / seconds).toFixed(1)} MB/s, p50 ${p50.toFixed(1)} ms`);
          rows.push({ path: `${what} (sequential)`, requestsPerSecond: runs / seconds, p50, p99, non2xx: failures, errors: 0, statusCodes: {} });
        }
      }
    } finally {
      agent.destroy();
    }
    return rows;
  },
};

/**
 * `npm start` as a user runs it, in a child process: time from spawn to endpoints.json on a new
 * data folder (first start: the CA, the tenant's keys) and again on the same folder (warm); and
 * the install's footprint (node_modules on disk, workerd binaries in it).
 */
const startAndFootprint: Measurement = {
  name: "npm start to endpoints.json (first and warm) and the install footprint",
  async run(ctx) {
    const rows: Row[] = [];
    const dataDir = mkdtempSync(join(tmpdir(), "mie-bench-start-"));
    try {
      for (const label of ["first", "warm"]) {
        const ports = await pickFreePorts("127.0.0.1");
        const env = {
          ...process.env,
          MIE_DATA_DIR: dataDir,
          MIE_LOG: "off",
          ...portKnobs(ports),
        };
        const file = join(dataDir, "endpoints.json");
        // The previous start's file stays until the next start replaces it: wait for the new one.
        rmSync(file, { force: true });
        const started = performance.now();
        const child = spawn(process.execPath, [join(ROOT, "scripts", "run.mjs"), "start"], { env, stdio: "ignore" });
        while (!existsSync(file)) {
          if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode} before endpoints.json`);
          if (performance.now() - started > 120_000) throw new Error("npm start: no endpoints.json after 120 s");
          await new Promise((r) => setTimeout(r, 20));
        }
        const ms = performance.now() - started;
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGINT");
        await exited;
        console.log(`  npm start (${label}): endpoints.json after ${ms.toFixed(0)} ms`);
        rows.push({ path: `npm start -> endpoints.json (${label}) [ms in p50]`, requestsPerSecond: 1000 / ms, p50: ms, p99: ms, non2xx: 0, errors: 0, statusCodes: {} });
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    const modules = join(ROOT, "node_modules");
    const megabytes = Number(execFileSync("du", ["-sk", modules]).toString().split(/\s/)[0]) / 1024;
    // Distinct runtime binaries (by inode, over 1 MB: node_modules/workerd/bin/workerd is a small launcher).
    const workerds = new Set(execFileSync("find", [modules, "-name", "workerd", "-type", "f", "-size", "+1M", "-path", "*/bin/*", "-printf", "%i\\n"]).toString().trim().split("\n").filter(Boolean));
    console.log(`  install footprint: node_modules ${megabytes.toFixed(0)} MB, ${workerds.size} workerd binaries`);
    void ctx;
    return rows;
  },
};

/**
 * Scale: the same three operations — a fresh token (client secret), an authorization check (a
 * Resource Manager read as the bench VM's identity) and a list (the bench group's user-assigned
 * identities: the same few) — timed sequentially in the bench's small tenant, then again after
 * BENCH_SCALE more user-assigned identities (each a principal) with one role assignment each, in
 * a group of their own: the tenant's size must not show in operations whose answer stays the same;
 * then BENCH_SCALE_VMS VMs with system-assigned identities and the runtime's resident memory.
 * The issue's goal is 100,000 identities and 1,000 VMs; the defaults are smaller so a bench run
 * stays minutes long (set the variables to the goal's numbers for the full run).
 */
const scale: Measurement = {
  name: "Scale (BENCH_SCALE identities and role assignments, BENCH_SCALE_VMS VMs)",
  async run(ctx) {
    const identities = Math.round(positiveNumber("BENCH_SCALE", 2_000));
    const vms = Math.round(positiveNumber("BENCH_SCALE_VMS", 200));
    const sub = `/subscriptions/${ctx.endpoints.subscriptionId}`;
    const rg = `${sub}/resourceGroups/${ctx.resourceGroup}`;
    const scaleRg = `${sub}/resourceGroups/bench-scale-rg`;
    await ctx.arm("PUT", `${scaleRg}?api-version=2024-11-01`, { location: "westus" });
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 8, ca: ctx.ca });
    const call = (method: string, url: string, headers: Record<string, string>, body?: string) =>
      send(method, url, { ca: ctx.ca, headers, body, ...(url.startsWith("https:") ? { agent } : {}) });
    const vmToken = JSON.parse(
      (await call("GET", `${ctx.imdsEndpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent("https://management.azure.com/")}`, { Metadata: "true" })).text,
    ).access_token as string;
    const vmOid = JSON.parse(Buffer.from(vmToken.split(".")[1]!, "base64url").toString()).oid as string;
    const armHeaders = { authorization: `Bearer ${ctx.armToken}`, "content-type": "application/json" };
    const reader = `${sub}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`;
    await ctx.arm("PUT", `${rg}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: reader, principalId: vmOid, principalType: "ServicePrincipal" },
    }).catch(() => undefined);
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: ctx.endpoints.admin.clientId, client_secret: ctx.endpoints.admin.clientSecret, scope: "https://management.azure.com/.default" }).toString();
    const operations: [string, () => Promise<{ status: number }>][] = [
      ["token (client secret)", () => call("POST", `${ctx.endpoints.login}/${ctx.endpoints.tenantId}/oauth2/v2.0/token`, { "content-type": "application/x-www-form-urlencoded" }, form)],
      ["authorization check (read as the VM)", () => call("GET", `${ctx.endpoints.arm}${rg}/providers/Microsoft.Compute/virtualMachines/${ctx.vmName}?api-version=2024-11-01`, { authorization: `Bearer ${vmToken}` })],
      ["list (identities in the group)", () => call("GET", `${ctx.endpoints.arm}${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2024-11-30`, armHeaders)],
    ];
    const p50s = async () => {
      const result: number[] = [];
      for (const [label, op] of operations) {
        const times: number[] = [];
        for (let i = 0; i < 100; i++) {
          const started = performance.now();
          const r = await op();
          times.push(performance.now() - started);
          if (r.status !== 200) throw new Error(`${label}: ${r.status}`);
        }
        result.push(timingsOf(times).p50);
      }
      return result;
    };
    /** Runs `count` jobs at most 8 at a time. */
    const inParallel = async (count: number, job: (i: number) => Promise<void>) => {
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < count) await job(next++);
      }));
    };
    const rows: Row[] = [];
    try {
      const small = await p50s();
      const started = performance.now();
      await inParallel(identities, async (i) => {
        const created = await call("PUT", `${ctx.endpoints.arm}${scaleRg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scale-${i}?api-version=2024-11-30`, armHeaders, JSON.stringify({ location: "westus" }));
        if (created.status !== 201 && created.status !== 200) throw new Error(`identity ${i}: ${created.status} ${created.text.slice(0, 200)}`);
        const principalId = JSON.parse(created.text).properties.principalId;
        const assigned = await call("PUT", `${ctx.endpoints.arm}${scaleRg}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, armHeaders, JSON.stringify({ properties: { roleDefinitionId: reader, principalId, principalType: "ServicePrincipal" } }));
        if (assigned.status !== 201) throw new Error(`assignment ${i}: ${assigned.status} ${assigned.text.slice(0, 200)}`);
      });
      console.log(`  created ${identities} identities and role assignments in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      const large = await p50s();
      operations.forEach(([label], i) => {
        console.log(`  ${label}: p50 ${small[i]!.toFixed(1)} ms with 10 resources, ${large[i]!.toFixed(1)} ms with ${identities} more = ${(large[i]! / small[i]!).toFixed(2)}x`);
        rows.push({ path: `scale: ${label}, +${identities} identities [p50 ratio ${(large[i]! / small[i]!).toFixed(2)}x]`, requestsPerSecond: 1000 / large[i]!, p50: large[i]!, p99: large[i]!, non2xx: 0, errors: 0, statusCodes: {} });
      });
      const before = runtimeRssMegabytes();
      const vmStarted = performance.now();
      await inParallel(vms, async (i) => {
        const r = await call("PUT", `${ctx.endpoints.arm}${scaleRg}/providers/Microsoft.Compute/virtualMachines/scale-vm-${i}?api-version=2024-11-01`, armHeaders, JSON.stringify({ location: "westus", identity: { type: "SystemAssigned" } }));
        if (r.status !== 201) throw new Error(`vm ${i}: ${r.status} ${r.text.slice(0, 200)}`);
      });
      const after = runtimeRssMegabytes();
      console.log(`  ${vms} VMs created in ${((performance.now() - vmStarted) / 1000).toFixed(1)} s; workerd resident memory ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after`);
      rows.push({ path: `scale: ${vms} VMs, workerd RSS ${after.toFixed(0)} MB`, requestsPerSecond: 0, p50: 0, p99: 0, non2xx: 0, errors: 0, statusCodes: {} });
    } finally {
      agent.destroy();
    }
    return rows;
  },
};

/** Resident memory of the workerd processes this bench started (children of this process), in MB. */
function runtimeRssMegabytes(): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      if (!/^Name:\s+workerd$/m.test(status) || !new RegExp(`^PPid:\\s+${process.pid}$`, "m").test(status)) continue;
      total += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) / 1024;
    } catch {
      /* gone */
    }
  }
  return total;
}

/** Product vs anchor figures, printed after the table with their ratio. */
interface Comparison {
  figure: string;
  product: Row;
  anchor: Row;
}
const COMPARISONS: Comparison[] = [];

/** Two runs averaged: requests/s and p50 by mean, p99 by the worse, failures summed. */
function combine(label: string, rows: Row[]): Row {
  const mean = (f: (r: Row) => number) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
  return {
    path: label,
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    p50: mean((r) => r.p50),
    p99: Math.max(...rows.map((r) => r.p99)),
    non2xx: rows.reduce((a, r) => a + r.non2xx, 0),
    errors: rows.reduce((a, r) => a + r.errors, 0),
    statusCodes: {},
  };
}

/**
 * The anchor: oauth2-mock-server (the client-credentials mock many teams use instead), started
 * here with an RS256 key, measured in the same run, alternating with the emulator (product,
 * anchor, product, anchor; half the duration each) so that drift of the machine hits both.
 * Figures: an app token with a client secret at the v2 token endpoint (one RSA signature each),
 * and a fresh IMDS token (two signatures: the client assertion and the token).
 */
const anchorComparison: Measurement = {
  name: "Against the anchor (oauth2-mock-server, RS256, client credentials), alternating runs",
  async run(ctx) {
    await keyPoolSettled();
    const { OAuth2Server } = await import("oauth2-mock-server");
    const anchor = new OAuth2Server();
    await anchor.issuer.keys.generate("RS256");
    await anchor.start(0, "127.0.0.1");
    const anchorUrl = `http://127.0.0.1:${new URL(anchor.issuer.url!).port}/token`;
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const e = ctx.endpoints;
    const appBody = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: e.admin.clientId,
      client_secret: e.admin.clientSecret,
      scope: "https://management.azure.com/.default",
    }).toString();
    const anchorBody = "grant_type=client_credentials&scope=https%3A%2F%2Fmanagement.azure.com%2F.default";
    const imdsFresh = `${ctx.imdsEndpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent("https://vault.azure.net")}&bypass_cache=true`;
    const half: BenchSettings = { ...ctx.settings, duration: Math.max(1, Math.round(ctx.settings.duration / 2)) };
    const rows: Row[] = [];
    try {
      const pairs: { figure: string; product: () => Promise<Row>; anchor: () => Promise<Row> }[] = [
        {
          figure: "app token, client secret (v2)",
          product: () => load("emulator: app token, client secret", `${e.login}/${e.tenantId}/oauth2/v2.0/token`, half, form, { method: "POST", body: appBody }),
          anchor: () => load("anchor: client credentials token", anchorUrl, half, form, { method: "POST", body: anchorBody }),
        },
        {
          figure: "fresh IMDS token vs anchor token",
          product: () => load("emulator: imds token (bypass_cache)", imdsFresh, half, { Metadata: "true" }),
          anchor: () => load("anchor: client credentials token", anchorUrl, half, form, { method: "POST", body: anchorBody }),
        },
      ];
      for (const pair of pairs) {
        const product: Row[] = [];
        const other: Row[] = [];
        for (let round = 0; round < 2; round++) {
          product.push(await pair.product());
          other.push(await pair.anchor());
        }
        const p = combine(`${pair.figure} (emulator)`, product);
        const a = combine(`${pair.figure} (anchor)`, other);
        COMPARISONS.push({ figure: pair.figure, product: p, anchor: a });
        rows.push(p, a);
      }
    } finally {
      await anchor.stop();
    }
    return rows;
  },
};

// =============================================================================================
// The measurements run, in order. To add one, write a `Measurement` (a name and
// `run(ctx) => rows`) and append it here. Each gets the same context: the stack's endpoints and
// CA, the admin's Resource Manager token and an `arm()` helper, and the bench VM with its IMDS base.
const MEASUREMENTS: Measurement[] = [imdsTokens, anchorComparison, vmCreateThroughDeployment, vmCreateSystemAssigned, authorizationCheck, blobThroughput, startAndFootprint, scale];
// =============================================================================================

// ---------------------------------------------------------------------------------------------
// Setup shared by every measurement

/** The admin's token for a scope, by the client-credentials grant. */
async function clientCredentialsToken(ctx: { endpoints: Endpoints; ca: string }, scope: string): Promise<string> {
  const { endpoints, ca } = ctx;
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: endpoints.admin.clientId,
    client_secret: endpoints.admin.clientSecret,
    scope,
  }).toString();
  const tokenBody = expectOk(
    "admin token",
    await send("POST", `${endpoints.login}/${endpoints.tenantId}/oauth2/v2.0/token`, {
      ca,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    }),
  );
  if (typeof tokenBody.access_token !== "string") throw new Error(`admin token: no access_token in ${JSON.stringify(tokenBody)}`);
  return tokenBody.access_token;
}

async function prepare(endpoints: Endpoints, settings: BenchSettings): Promise<BenchContext> {
  const ca = readFileSync(endpoints.caCertificate, "utf8");
  const armToken = await clientCredentialsToken({ endpoints, ca }, "https://management.azure.com/.default");

  const arm = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${armToken}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const result = await send(method, `${endpoints.arm}${path}`, {
      ca,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return expectOk(`${method} ${path}`, result);
  };

  const resourceGroup = "bench-rg";
  const vmName = "bench-vm";
  const sub = `/subscriptions/${endpoints.subscriptionId}`;
  await arm("PUT", `${sub}/resourcegroups/${resourceGroup}?api-version=2024-11-01`, { location: "westus" });
  const vmPath = `${sub}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vmName}`;
  await arm("PUT", `${vmPath}?api-version=2024-11-01`, {
    location: "westus",
    identity: { type: "SystemAssigned" },
    properties: { hardwareProfile: { vmSize: "Standard_B1s" } },
  });
  keyPoolDrawn();
  const listed = await arm("POST", `${vmPath}/listImdsEndpoint?api-version=2024-11-01`);
  if (typeof listed.endpoint !== "string") throw new Error(`listImdsEndpoint: no endpoint in ${JSON.stringify(listed)}`);

  return { endpoints, ca, settings, armToken, arm, resourceGroup, vmName, imdsEndpoint: listed.endpoint.replace(/\/+$/, "") };
}

// ---------------------------------------------------------------------------------------------
// Output

function printTable(rows: Row[]): void {
  const header = ["path", "requests/s", "p50 ms", "p99 ms", "non-2xx", "errors"];
  const lines = rows.map((r) => [
    r.path,
    r.requestsPerSecond.toFixed(1),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    String(r.non2xx),
    String(r.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(format(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const line of lines) console.log(format(line));
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const settings: BenchSettings = {
    duration: positiveNumber("BENCH_DURATION", 10),
    connections: Math.round(positiveNumber("BENCH_CONNECTIONS", 16)),
  };
  const base = optionsFromEnv();
  const dataDir = mkdtempSync(join(tmpdir(), "mie-bench-"));
  const options: StackOptions = {
    ...base,
    dataDir,
    tlsDir: undefined,
    ports: await pickFreePorts(base.host),
  };
  // workerd's output is kept and shown only if something goes wrong.
  const workerLog: string[] = [];
  options.log = (line) => {
    watchWorkerLine(line);
    workerLog.push(line);
    if (workerLog.length > 200) workerLog.shift();
  };

  let stack: RunningStack | undefined;
  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) return;
    cleanedUp = true;
    try {
      await stack?.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  const onSignal = () => {
    console.error("\ninterrupted; stopping the stack");
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    console.log(`data dir ${dataDir}`);
    console.log(`ports    ${Object.entries(options.ports).map(([name, port]) => `${name} ${port}`).join(", ")}`);
    const started = performance.now();
    stack = await startStack(options);
    const readyMs = performance.now() - started;
    console.log(`stack ready in ${readyMs.toFixed(0)} ms (startStack called -> resolved)\n`);

    const ctx = await prepare(stack.endpoints, settings);
    console.log(`VM ${ctx.vmName} in ${ctx.resourceGroup}, IMDS ${ctx.imdsEndpoint}\n`);

    const only = process.env.BENCH_ONLY?.toLowerCase();
    const selected = only ? MEASUREMENTS.filter((m) => m.name.toLowerCase().includes(only)) : MEASUREMENTS;
    if (selected.length === 0) throw new Error(`BENCH_ONLY="${process.env.BENCH_ONLY}" matches no measurement: ${MEASUREMENTS.map((m) => m.name).join("; ")}`);
    const rows: Row[] = [];
    for (const measurement of selected) {
      console.log(measurement.name);
      rows.push(...(await measurement.run(ctx)));
    }

    console.log(`\nstartup: ${readyMs.toFixed(0)} ms; load: ${settings.connections} connections, ${settings.duration} s per path\n`);
    printTable(rows);
    if (COMPARISONS.length) {
      console.log("\nagainst the anchor (same run, alternating):");
      for (const c of COMPARISONS) {
        const ratio = c.product.requestsPerSecond / c.anchor.requestsPerSecond;
        console.log(
          `  ${c.figure}: emulator ${c.product.requestsPerSecond.toFixed(1)} req/s (p99 ${c.product.p99.toFixed(0)} ms) vs anchor ${c.anchor.requestsPerSecond.toFixed(1)} req/s (p99 ${c.anchor.p99.toFixed(0)} ms) = ${ratio.toFixed(2)}x`,
        );
      }
    }

    const failed = rows.filter((r) => r.non2xx > 0 || r.errors > 0);
    if (failed.length > 0) {
      console.error("\nFAILED: requests did not all succeed:");
      for (const r of failed) {
        console.error(`  ${r.path}: ${r.non2xx} non-2xx, ${r.errors} connection errors/timeouts; status codes ${JSON.stringify(r.statusCodes)}`);
      }
      if (workerLog.length) console.error(`\nlast workerd output:\n${workerLog.slice(-40).join("\n")}`);
      return 1;
    }
    return 0;
  } catch (err) {
    console.error(`\nbench failed: ${(err as Error).stack ?? err}`);
    if (workerLog.length) console.error(`\nlast workerd output:\n${workerLog.slice(-40).join("\n")}`);
    return 1;
  } finally {
    await cleanup();
  }
}

// Exit explicitly: nothing should keep the process alive after the stack is stopped.
process.exit(await main());
