// The console worker over HTTP: its sign-in (the admin's secret or endpoints.json's key, never
// anything else), its API as the admin, and the live flow — each of the seed's seven steps
// reported as it happens, with the client assertion, the issued token's claims and the resource
// server's decision (granted by which assignment, or denied and why). The page itself is driven in
// a real browser by test/browser/console.test.ts.
import { SignJWT, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";
import { ConsoleClient, type FlowEventSeen } from "../support/console-client.ts";

const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const emulator = new TestEmulator();
let consoleClient: ConsoleClient;

beforeAll(async () => {
  await emulator.start();
  consoleClient = new ConsoleClient(emulator.endpoints);
  await consoleClient.signIn();
});
afterAll(() => emulator.dispose());

const find = (events: FlowEventSeen[], kind: string, where: (e: FlowEventSeen) => boolean = () => true) => events.find((e) => e.kind === kind && where(e));

describe("console sign-in", () => {
  it("endpoints.json names the console with a key that signs in; without a session the API answers 401", async () => {
    const url = new URL(emulator.endpoints.console!);
    expect(url.protocol).toBe("http:");
    expect(url.searchParams.get("key")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const page = await fetch(url.origin);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="clientSecret"');
    const api = await fetch(`${url.origin}/api/context`);
    expect(api.status).toBe(401);
    expect((await api.json()).error.code).toBe("SignInRequired");
    const context = await consoleClient.api("GET", "/api/context");
    expect(context.status).toBe(200);
    expect(context.body.subscriptionId).toBe(emulator.endpoints.subscriptionId);
  });

  it("refuses a wrong key and a wrong secret, and takes the admin's secret", async () => {
    const origin = new URL(emulator.endpoints.console!).origin;
    const wrongKey = await fetch(`${origin}/?key=${"A".repeat(43)}`, { redirect: "manual" });
    expect(wrongKey.status).toBe(200);
    expect(wrongKey.headers.get("set-cookie")).toBeNull();
    expect(await wrongKey.text()).toContain("not valid");
    const form = (secret: string) =>
      fetch(`${origin}/sign-in`, { method: "POST", redirect: "manual", body: new URLSearchParams({ clientSecret: secret }) });
    const wrong = await form("not-the-secret");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const right = await form(emulator.endpoints.admin.clientSecret);
    expect(right.status).toBe(303);
    expect(right.headers.get("set-cookie")).toMatch(/^mie_console=\d+\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    // A session whose expiry was changed (or that has expired) is refused.
    const [expires, mac] = consoleClient.cookie.split("=")[1]!.split(".");
    const forged = await fetch(`${origin}/api/context`, { headers: { cookie: `mie_console=${Number(expires) + 3600}.${mac}` } });
    expect(forged.status).toBe(401);
    const expired = await fetch(`${origin}/api/context`, { headers: { cookie: `mie_console=${Math.floor(Date.now() / 1000) - 1}.${mac}` } });
    expect(expired.status).toBe(401);
  });

  it("takes changes only as JSON (a form posted from another site cannot act) and sends no-store and a CSP", async () => {
    const origin = new URL(emulator.endpoints.console!).origin;
    const posted = await fetch(`${origin}/api/arm/emulator/clock`, { method: "POST", headers: { cookie: consoleClient.cookie, "content-type": "application/x-www-form-urlencoded" }, body: "advanceSeconds=60" });
    expect(posted.status).toBe(415);
    const page = await fetch(`${origin}/`, { headers: { cookie: consoleClient.cookie } });
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(await page.text()).toContain('<script src="/console.js"');
  });
});

describe("the live flow", () => {
  const rg = "console-flow-rg";
  let vmId: string;
  let imdsBase: string;
  let principalId: string;
  let clientId: string;

  beforeAll(async () => {
    await emulator.createResourceGroup(rg);
  });

  it("steps 1-3: Resource Manager enables the identity, creates its principal and configures the VM's endpoint", async () => {
    const after = await consoleClient.lastSeq();
    const vm = await emulator.createVm(rg, "flow-vm", { type: "SystemAssigned" });
    vmId = vm.id;
    principalId = vm.identity.principalId;
    imdsBase = await emulator.imdsEndpoint(rg, "flow-vm");
    const events = await consoleClient.watchFlow((seen) => !!find(seen, "endpoint-configured", (e) => e.resourceId === vmId), { after });
    const enabled = find(events, "identity-enabled", (e) => e.resourceId === vmId)!;
    expect(enabled).toMatchObject({ step: 1, service: "arm", principalId });
    const created = find(events, "principal-created", (e) => e.principalId === principalId)!;
    expect(created.step).toBe(2);
    clientId = created.clientId!;
    expect(created.detail).toMatchObject({ servicePrincipalType: "ManagedIdentity", alternativeNames: ["isExplicit=False", vmId] });
    const configured = find(events, "endpoint-configured", (e) => e.resourceId === vmId)!;
    expect(configured.step).toBe(3);
    expect(configured.detail!.identities).toEqual([{ kind: "SystemAssigned", principalId, clientId, x5t: created.detail!.certificateThumbprint }]);
    // The admin's own granted calls (the console acts as the admin too) are not reported.
    expect(events.filter((e) => e.kind === "access-granted" && e.clientId === emulator.endpoints.admin.clientId)).toEqual([]);
  });

  it("steps 5-6: the VM's code asks IMDS; IMDS presents a client assertion; the authority issues the token", async () => {
    const after = await consoleClient.lastSeq();
    const answer = await imds(`${imdsBase}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent("https://management.azure.com/")}`);
    expect(answer.status).toBe(200);
    const token = answer.body.access_token as string;
    // Each service reports on its own (IMDS and the authority are separate workers): wait for all three.
    const events = await consoleClient.watchFlow(
      (seen) =>
        !!find(seen, "token-issued", (e) => e.principalId === principalId) &&
        !!find(seen, "token-requested", (e) => e.resourceId === vmId) &&
        !!find(seen, "assertion-presented", (e) => e.resourceId === vmId),
      { after },
    );
    const requested = find(events, "token-requested", (e) => e.resourceId === vmId)!;
    expect(requested).toMatchObject({ step: 5, service: "imds", principalId, clientId });
    expect(requested.detail).toMatchObject({ endpoint: "imds", resource: "https://management.azure.com/", identityKind: "SystemAssigned", servedFrom: "authority" });
    const assertion = find(events, "assertion-presented", (e) => e.resourceId === vmId)!;
    expect(assertion.step).toBe(6);
    expect(assertion.detail!.assertion.header).toMatchObject({ alg: "RS256", x5t: expect.any(String) });
    expect(assertion.detail!.assertion.claims).toMatchObject({ iss: clientId, sub: clientId, aud: expect.stringMatching(/\/oauth2\/token$/) });
    const issued = find(events, "token-issued", (e) => e.principalId === principalId)!;
    expect(issued).toMatchObject({ step: 6, service: "aad", clientId });
    expect(issued.detail).toMatchObject({ via: "imds", servicePrincipalType: "ManagedIdentity", token });
    expect(issued.detail!.claims).toEqual(decodeJwt(token).payload);
    expect(issued.detail!.checks.length).toBeGreaterThan(2);
  });

  it("step 7: a denial with its reason, then a role assignment (step 4) and a grant naming it", async () => {
    const token = (await imds(`${imdsBase}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent("https://management.azure.com/")}`)).body.access_token;
    const rgPath = `${emulator.subscriptionPath}/resourceGroups/${rg}`;
    let after = await consoleClient.lastSeq();
    expect((await emulator.arm("GET", `${rgPath}?api-version=2021-04-01`, undefined, token)).status).toBe(403);
    let events = await consoleClient.watchFlow((seen) => !!find(seen, "access-denied", (e) => e.principalId === principalId), { after });
    const denied = find(events, "access-denied", (e) => e.principalId === principalId)!;
    expect(denied).toMatchObject({ step: 7, service: "arm", resourceId: rgPath });
    expect(denied.detail).toMatchObject({ action: "Microsoft.Resources/subscriptions/resourceGroups/read", allowed: false, reason: "the principal has no role assignments" });

    after = await consoleClient.lastSeq();
    const assignment = await emulator.grant(rgPath, READER, principalId);
    expect((await emulator.arm("GET", `${rgPath}?api-version=2021-04-01`, undefined, token)).status).toBe(200);
    events = await consoleClient.watchFlow((seen) => !!find(seen, "access-granted", (e) => e.principalId === principalId) && !!find(seen, "role-assigned", (e) => e.principalId === principalId), { after });
    expect(find(events, "role-assigned", (e) => e.principalId === principalId)).toMatchObject({ step: 4, resourceId: rgPath, detail: { roleName: "Reader", assignmentName: assignment } });
    expect(find(events, "access-granted", (e) => e.principalId === principalId)!.detail!.grantedBy).toEqual({ assignmentName: assignment, roleName: "Reader", scope: rgPath });
  });

  it("an identity endpoint's refusal is reported with its status and error", async () => {
    const after = await consoleClient.lastSeq();
    const stranger = crypto.randomUUID();
    const answer = await imds(`${imdsBase}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&client_id=${stranger}`);
    expect(answer.status).toBe(400);
    const events = await consoleClient.watchFlow((seen) => !!find(seen, "token-refused", (e) => e.resourceId === vmId), { after });
    expect(find(events, "token-refused", (e) => e.resourceId === vmId)).toMatchObject({ step: 5, service: "imds", detail: { status: 400, error: answer.body.error, selector: { clientId: stranger } } });
  });

  it("asks for a token as the VM through Resource Manager's listImdsEndpoint, and inspects tokens against the JWKS", async () => {
    const asVm = await consoleClient.api("POST", "/api/token-as", { resourceId: vmId, resource: "https://vault.azure.net" });
    expect(asVm.status).toBe(200);
    expect(asVm.body.status).toBe(200);
    const token = asVm.body.body.access_token as string;
    expect(decodeJwt(token).payload).toMatchObject({ oid: principalId, aud: "https://vault.azure.net", xms_mirid: vmId });

    const good = await consoleClient.api("POST", "/api/inspect-token", { token });
    expect(good.body).toMatchObject({ verifies: true, expired: false, claims: { oid: principalId } });
    const [header, payload, signature] = token.split(".");
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(token).payload, oid: crypto.randomUUID() })).toString("base64url")}.${signature}`;
    const bad = await consoleClient.api("POST", "/api/inspect-token", { token: tampered });
    expect(bad.body.verifies).toBe(false);
    expect(bad.body.reason).toMatch(/signature does not verify/);
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT(decodeJwt(token).payload).setProtectedHeader({ alg: "RS256", kid: "forged-key" }).sign(privateKey);
    expect((await consoleClient.api("POST", "/api/inspect-token", { token: forged })).body).toMatchObject({ verifies: false, reason: expect.stringContaining("no key with kid") });
    expect(payload).toBeTruthy();

    const notAHost = await consoleClient.api("POST", "/api/token-as", { resourceId: `${emulator.subscriptionPath}/resourceGroups/${rg}`, resource: "https://vault.azure.net" });
    expect(notAHost.status).toBe(400);
    expect(notAHost.body.error.code).toBe("InvalidResourceId");
  });

  it("the emulator's reset empties the flow, including the deletions' own late reports", async () => {
    const before = await consoleClient.api("GET", "/api/flow/recent");
    expect(before.body.value.length).toBeGreaterThan(0);
    const reset = await emulator.arm("POST", "/emulator/reset");
    expect(reset.status).toBe(204);
    const resetDone = new Date().toISOString();
    // Each worker sends its reports up to 100 ms late: wait past that, then nothing from before the reset is kept.
    await new Promise((r) => setTimeout(r, 400));
    const after = await consoleClient.api("GET", "/api/flow/recent");
    expect(after.body.value.filter((e: FlowEventSeen & { at: string }) => e.at < resetDone)).toEqual([]);
  });

  it("the admin's ARM answers pass through the console unchanged (status and error shape)", async () => {
    const missing = await consoleClient.api("GET", `/api/arm${emulator.subscriptionPath}/resourceGroups/no-such-rg-here?api-version=2021-04-01`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("ResourceGroupNotFound");
  });
});
