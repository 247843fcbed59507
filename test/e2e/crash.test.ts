// A server killed (SIGKILL) in the middle of a burst of writes heals on its own after a restart:
// the alarms set with the write-ahead notes finish every half-done operation, so Resource
// Manager, the directory and IMDS agree again without any further write.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, pickFreePorts, portKnobs, type Endpoints } from "../../scripts/stack.ts";
import { ClientSecretCredential } from "@azure/identity";
import { decodeJwt, imds } from "../support/emulator.ts";

const dataDir = mkdtempSync(join(tmpdir(), "mie-crash-"));
let server: ChildProcess | null = null;
let env: NodeJS.ProcessEnv;

async function startServer(): Promise<Endpoints> {
  rmSync(join(dataDir, "endpoints.json"), { force: true });
  server = spawn(process.execPath, [join(ROOT, "scripts", "run.mjs"), "start"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  server.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  server.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!existsSync(join(dataDir, "endpoints.json"))) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8")) as Endpoints;
}

async function kill(): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server!.once("exit", r));
  server.kill("SIGKILL");
  await exited;
}

afterAll(async () => {
  await kill();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("killed mid-burst", () => {
  it("after a restart, every VM and identity agrees with the directory and IMDS, and no principal is orphaned", async () => {
    const ports = await pickFreePorts("127.0.0.1");
    env = {
      ...process.env,
      MIE_DATA_DIR: dataDir,
      MIE_TLS_DIR: process.env.MIE_TEST_TLS_DIR,
      ...portKnobs(ports),
    };
    let e = await startServer();
    const credential = () => new ClientSecretCredential(e.tenantId, e.admin.clientId, e.admin.clientSecret, { authorityHost: e.login, disableInstanceDiscovery: true });
    let armToken = (await credential().getToken("https://management.azure.com/.default")).token;
    const arm = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${e.arm}${path}`, {
        method,
        headers: { authorization: `Bearer ${armToken}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    };
    const sub = `/subscriptions/${e.subscriptionId}`;
    const vmPath = (n: string) => `${sub}/resourceGroups/crash-rg/providers/Microsoft.Compute/virtualMachines/${n}?api-version=2024-11-01`;
    const idPath = (n: string) => `${sub}/resourceGroups/crash-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}?api-version=2023-01-31`;
    expect((await arm("PUT", `${sub}/resourcegroups/crash-rg?api-version=2024-11-01`, { location: "westus" })).status).toBe(201);
    // Some VMs exist before the burst, so the burst deletes and disables too.
    for (let i = 0; i < 4; i++) await arm("PUT", vmPath(`crash-old-${i}`), { location: "westus", identity: { type: "SystemAssigned" } });

    const burst: Promise<unknown>[] = [];
    for (let i = 0; i < 16; i++) burst.push(arm("PUT", vmPath(`crash-vm-${i}`), { location: "westus", identity: { type: "SystemAssigned" } }).catch(() => undefined));
    for (let i = 0; i < 6; i++) burst.push(arm("PUT", idPath(`crash-id-${i}`), { location: "westus" }).catch(() => undefined));
    burst.push(arm("DELETE", vmPath("crash-old-0")).catch(() => undefined));
    burst.push(arm("DELETE", vmPath("crash-old-1")).catch(() => undefined));
    burst.push(arm("PATCH", vmPath("crash-old-2"), { identity: { type: "None" } }).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 400));
    await kill();
    await Promise.allSettled(burst);

    e = await startServer();
    armToken = (await credential().getToken("https://management.azure.com/.default")).token;
    const graphToken = (await credential().getToken("https://graph.microsoft.com/.default")).token;

    const consistent = async (): Promise<string[]> => {
      const problems: string[] = [];
      const vms = (await arm("GET", `${sub}/resourceGroups/crash-rg/providers/Microsoft.Compute/virtualMachines?api-version=2024-11-01`)).body.value as any[];
      const ids = (await arm("GET", `${sub}/resourceGroups/crash-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31`)).body.value as any[];
      const principals = (
        (await (await fetch(`${e.graph}/v1.0/servicePrincipals?$filter=servicePrincipalType eq 'ManagedIdentity'&$top=999`, { headers: { authorization: `Bearer ${graphToken}` } })).json()) as any
      ).value as any[];
      const owners = new Map<string, string>();
      for (const vm of vms) {
        if (vm.properties.provisioningState !== "Succeeded") problems.push(`${vm.name} is ${vm.properties.provisioningState}`);
        if (vm.identity?.principalId) owners.set(vm.identity.principalId, vm.name);
      }
      for (const id of ids) owners.set(id.properties.principalId, id.name);
      for (const p of principals) if (!owners.has(p.id)) problems.push(`orphan principal ${p.displayName} (${p.id})`);
      for (const [principalId, name] of owners) if (!principals.some((p) => p.id === principalId)) problems.push(`${name} names a missing principal ${principalId}`);
      for (const vm of vms.filter((v) => v.identity?.principalId)) {
        const listed = await arm("POST", `${sub}/resourceGroups/crash-rg/providers/Microsoft.Compute/virtualMachines/${vm.name}/listImdsEndpoint?api-version=2024-11-01`);
        const t = await imds(`${listed.body.endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&bypass_cache=true`);
        if (t.status !== 200) problems.push(`${vm.name}: IMDS answers ${t.status}`);
        else if (decodeJwt(t.body.access_token).payload.oid !== vm.identity.principalId) problems.push(`${vm.name}: IMDS issues for another principal`);
      }
      return problems;
    };

    const deadline = Date.now() + 30_000;
    let problems = await consistent();
    while (problems.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      problems = await consistent();
    }
    expect(problems).toEqual([]);
  });
});
