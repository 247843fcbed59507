// New principals' certificates are made on RSA keys from Resource Manager's key pool
// (workers/arm/src/providers/managed-identity/credential-key-pool.ts): no two principals ever share
// a key (whether the key came from the pool or was generated inline, whether the create succeeded
// or failed), the pool refills in the background after it is drained, and its keys survive a
// restart and a reset. The key a principal got is seen in Resource Manager's debug log (the
// SHA-256 of the certificate's public key, and where the key came from); the pool says when it
// is full at info level. No timing is asserted: only what the pool hands out, and that it refills.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

const lines: string[] = [];
const emulator = new TestEmulator({ testFailpoints: true, logLevel: "debug", log: (line) => lines.push(line) });
const RG = "key-pool-rg";
const UAMI_API = "2023-01-31";
const POOL_TARGET = 32;

interface KeyLine {
  principalId: string;
  fingerprint: string;
  source: "pool" | "inline";
}

/** Every "principal …: certificate key sha256:… (pool|inline)" line so far, in order. */
function keyLines(): KeyLine[] {
  const out: KeyLine[] = [];
  for (const line of lines) {
    const m = /arm: principal ([0-9a-f-]{36}): certificate key sha256:([A-Za-z0-9_-]{43}) \((pool|inline)\)/.exec(line);
    if (m) out.push({ principalId: m[1]!, fingerprint: m[2]!, source: m[3] as "pool" | "inline" });
  }
  return out;
}

function keyOf(principalId: string): KeyLine {
  const found = keyLines().filter((k) => k.principalId === principalId);
  expect(found, `one key line for principal ${principalId}`).toHaveLength(1);
  return found[0]!;
}

/** How many times the pool has said it is full. */
function readyReports(): number {
  return lines.filter((line) => /arm: credential key pool: \d+ keys ready/.test(line)).length;
}

async function poolReported(count: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (readyReports() < count) {
    if (Date.now() > deadline) throw new Error(`the key pool never reported ready (${readyReports()} of ${count} reports)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function expectAllKeysDistinct(): void {
  const keys = keyLines();
  expect(new Set(keys.map((k) => k.principalId)).size, "one key line per principal").toBe(keys.length);
  expect(new Set(keys.map((k) => k.fingerprint)).size, "no two principals share a key").toBe(keys.length);
}

async function createVm(name: string): Promise<string> {
  const r = await emulator.arm("PUT", emulator.vmPath(RG, name), { location: "westus", identity: { type: "SystemAssigned" }, properties: { hardwareProfile: { vmSize: "Standard_B1s" } } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.identity.principalId;
}

async function createIdentity(name: string): Promise<string> {
  const r = await emulator.arm("PUT", `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}?api-version=${UAMI_API}`, { location: "westus" });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.properties.principalId;
}

async function tokenOid(vm: string): Promise<string> {
  const endpoint = await emulator.imdsEndpoint(RG, vm);
  const r = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return decodeJwt(r.body.access_token).payload.oid;
}

beforeAll(async () => {
  await emulator.start();
  await emulator.createResourceGroup(RG);
});
afterAll(() => emulator.dispose());

describe("the credential key pool", () => {
  it("the first principal's key is generated inline; the pool then fills in the background", async () => {
    const first = await createVm("first-vm");
    expect(keyOf(first).source).toBe("inline");
    await poolReported(1);
    expect(await tokenOid("first-vm")).toBe(first);
  });

  it("40 rapid creates (VMs and user-assigned identities, 8 at a time) get 40 different keys, the first 32 from the pool", async () => {
    const reportsBefore = readyReports();
    const before = keyLines().length;
    const principals: string[] = [];
    for (let batch = 0; batch < 5; batch++) {
      principals.push(
        ...(await Promise.all(
          Array.from({ length: 8 }, (_, i) => {
            const n = batch * 8 + i;
            return n % 4 === 3 ? createIdentity(`burst-id-${n}`) : createVm(`burst-vm-${n}`);
          }),
        )),
      );
    }
    const keys = principals.map(keyOf);
    expect(keyLines().length - before).toBe(40);
    expect(new Set(keys.map((k) => k.fingerprint)).size).toBe(40);
    // The pool held 32 and nothing else took from it: at least 32 came from it (more only if it
    // refilled in a pause), the rest were generated inline rather than failing.
    expect(keys.filter((k) => k.source === "pool").length).toBeGreaterThanOrEqual(POOL_TARGET);
    expectAllKeysDistinct();
    // Each pooled key is the one its certificate was made on: the authority accepts the assertion IMDS signs with it.
    expect(await tokenOid("burst-vm-0")).toBe(principals[0]);
    expect(await tokenOid("burst-vm-38")).toBe(principals[38]);

    // Drained, the pool refills on its own (no request needed) and hands out fresh keys again.
    await poolReported(reportsBefore + 1);
    const next = await createVm("after-refill-vm");
    expect(keyOf(next).source).toBe("pool");
    expectAllKeysDistinct();
  });

  it("a key taken for a create that fails is dropped with it, never handed out again", async () => {
    const failed = keyLines().length;
    expect((await emulator.arm("PUT", "/emulator/test-failpoints", { "aad.createPrincipal": 1 })).status).toBe(204);
    const r = await emulator.arm("PUT", emulator.vmPath(RG, "failing-vm"), { location: "westus", identity: { type: "SystemAssigned" } });
    expect(r.status).toBe(500);
    const droppedKey = keyLines()[failed];
    expect(droppedKey, "the failed create took a key").toBeDefined();
    const retried = await createVm("failing-vm");
    expect(keyOf(retried).fingerprint).not.toBe(droppedKey!.fingerprint);
    expectAllKeysDistinct();
  });

  it("the pool's keys survive a restart, and a reset leaves the pool working", async () => {
    // Stopped with a full pool (it reported full after this take), so no refill is pending and
    // whatever it hands out after the restart was stored before it.
    const reports = readyReports();
    await createVm("before-restart-vm");
    await poolReported(reports + 1);
    await emulator.stop();
    await emulator.start();
    const restarted = await createVm("restarted-vm");
    expect(keyOf(restarted).source).toBe("pool");
    expect(await tokenOid("restarted-vm")).toBe(restarted);
    expectAllKeysDistinct();

    expect((await emulator.arm("POST", "/emulator/reset")).status).toBe(204);
    await emulator.createResourceGroup(RG);
    const afterReset = await Promise.all([createVm("reset-vm-1"), createVm("reset-vm-2"), createIdentity("reset-id")]);
    for (const principal of afterReset) expect(keyOf(principal).source).toBe("pool");
    expect(await tokenOid("reset-vm-1")).toBe(afterReset[0]);
    expectAllKeysDistinct();
  });
});
