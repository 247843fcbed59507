// The emulator's log (MIE_LOG, contract: "Operating the emulator"), read through the local
// server's `log` option as `npm start` prints it: a line per request (service, method, path,
// status, caller, milliseconds), per token issued (principal, audience, how) and per
// authorization denial (action, scope, why); debug adds query strings and request ids; off prints
// nothing. Capabilities and secrets never appear.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

const WORKER_LINE = /^(arm|aad|imds|graph|keyvault): /;

/** An emulator whose workers' lines are kept (MIE_TEST_LOG=1 also shows them). */
function loggingEmulator(logLevel?: string) {
  const lines: string[] = [];
  const emulator = new TestEmulator({
    ...(logLevel ? { logLevel } : {}),
    log: (line) => {
      lines.push(line);
      if (process.env.MIE_TEST_LOG) console.log(`[workerd] ${line}`);
    },
  });
  /** The first line (from `from` on) matching `pattern`; lines arrive shortly after the answer. */
  async function line(pattern: RegExp, from = 0): Promise<string> {
    for (let waited = 0; ; waited += 50) {
      const found = lines.slice(from).find((l) => pattern.test(l));
      if (found) return found;
      if (waited > 10_000) throw new Error(`no log line matches ${pattern}; got:\n${lines.slice(from).join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { emulator, lines, line };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("info (the default)", () => {
  const { emulator, lines, line } = loggingEmulator();
  let vm: { id: string; principalId: string; endpoint: string; clientId: string; token: string };

  beforeAll(async () => {
    await emulator.start();
    await emulator.createResourceGroup("log-rg");
    await emulator.createResourceGroup("other-rg");
    const doc = await emulator.createVm("log-rg", "log-vm", { type: "SystemAssigned" });
    const endpoint = await emulator.imdsEndpoint("log-rg", "log-vm");
    const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    expect(t.status).toBe(200);
    vm = { id: doc.id, principalId: doc.identity.principalId, endpoint, clientId: t.body.client_id, token: t.body.access_token };
  });
  afterAll(() => emulator.dispose());

  it("one line per request: service, method, path without its query, status, caller, milliseconds", async () => {
    const e = emulator.endpoints;
    const put = await line(/^arm: PUT \/subscriptions\/[^ ]+\/resourcegroups\/log-rg /);
    expect(put).toMatch(
      new RegExp(`^arm: PUT ${escape(emulator.subscriptionPath)}/resourcegroups/log-rg 201 caller=${e.admin.objectId} "mie-admin" app=${e.admin.clientId} \\d+ms$`),
    );
    const anonymous = await fetch(`${e.arm}/metadata/endpoints?api-version=2022-09-01`);
    expect(anonymous.status).toBe(200);
    expect(await line(/^arm: GET \/metadata\/endpoints /)).toMatch(/^arm: GET \/metadata\/endpoints 200 caller=anonymous \d+ms$/);
    const from = lines.length;
    expect((await emulator.arm("GET", emulator.rgPath("no-such-rg"))).status).toBe(404);
    expect(await line(/no-such-rg/, from)).toMatch(/ 404 caller=/);
  });

  it("IMDS's lines name the identity but never the VM's capability URL", async () => {
    const key = vm.endpoint.split("/vms/")[1]!;
    const tokenLine = await line(/^imds: GET \/vms\/.+\/metadata\/identity\/oauth2\/token 200 /);
    expect(tokenLine).toMatch(new RegExp(`^imds: GET /vms/${key.slice(0, 8)}…/metadata/identity/oauth2/token 200 caller=${vm.principalId} app=${vm.clientId} \\d+ms$`));
    for (const l of lines) expect(l).not.toContain(key);
  });

  it("a line per token issued: principal, audience and how (imds, secret)", async () => {
    const e = emulator.endpoints;
    expect(await line(/^aad: token issued principal=[^ ]+ "log-vm"/)).toBe(
      `aad: token issued principal=${vm.principalId} "log-vm" app=${vm.clientId} audience=https://management.azure.com/ via=imds`,
    );
    expect(await line(/^aad: token issued .* via=secret$/)).toBe(
      `aad: token issued principal=${e.admin.objectId} "mie-admin" app=${e.admin.clientId} audience=https://management.azure.com via=secret`,
    );
    for (const l of lines) expect(l).not.toContain(e.admin.clientSecret);
  });

  it("a line per authorization denial: action, scope, principal and why", async () => {
    const from = lines.length;
    const denied = await emulator.arm("GET", emulator.rgPath("other-rg"), undefined, vm.token);
    expect(denied.status).toBe(403);
    expect(await line(/^arm: denied /, from)).toBe(
      `arm: denied action=Microsoft.Resources/subscriptions/resourceGroups/read scope=${emulator.subscriptionPath}/resourceGroups/other-rg principal=${vm.principalId} app=${decodeJwt(vm.token).payload.appid} reason="the principal has no role assignments"`,
    );
    const path = `${emulator.subscriptionPath}/resourcegroups/other-rg`;
    expect(await line(/other-rg 403 /, from)).toMatch(new RegExp(`^arm: GET ${escape(path)} 403 caller=${vm.principalId} app=`));

    const control = await emulator.arm("POST", "/emulator/reset", undefined, vm.token);
    expect(control.status).toBe(403);
    expect(await line(/^arm: denied action=Microsoft\.Resources\/emulator\/reset\/action/, from)).toContain(
      `scope=/emulator principal=${vm.principalId}`,
    );
  });

  it("a denial names the roles that do not grant the action", async () => {
    const name = crypto.randomUUID();
    const grant = await emulator.arm("PUT", `${emulator.subscriptionPath}/resourcegroups/other-rg/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`, {
      properties: {
        roleDefinitionId: `${emulator.subscriptionPath}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
        principalId: vm.principalId,
        principalType: "ServicePrincipal",
      },
    });
    expect(grant.status).toBe(201);
    const from = lines.length;
    expect((await emulator.arm("DELETE", emulator.rgPath("other-rg"), undefined, vm.token)).status).toBe(403);
    expect(await line(/^arm: denied action=Microsoft\.Resources\/subscriptions\/resourceGroups\/delete/, from)).toContain(
      'reason="its roles at or above the scope (Reader) do not grant the action"',
    );
  });
});

describe("debug", () => {
  const { emulator, lines, line } = loggingEmulator("debug");
  beforeAll(() => emulator.start());
  afterAll(() => emulator.dispose());

  it("adds the query string, secrets masked, and the request ids", async () => {
    const r = await fetch(`${emulator.endpoints.arm}/metadata/endpoints?api-version=2022-09-01&client_secret=hunter2&sig=abc`);
    expect(r.status).toBe(200);
    const requestId = r.headers.get("x-ms-request-id")!;
    const l = await line(/^arm: GET \/metadata\/endpoints 200 .*client_secret/);
    expect(l).toMatch(
      new RegExp(`^arm: GET /metadata/endpoints 200 caller=anonymous \\d+ms query=api-version=2022-09-01&client_secret=\\*\\*\\*&sig=\\*\\*\\* x-ms-request-id=${requestId}$`),
    );
    for (const each of lines) expect(each).not.toContain("hunter2");
  });

  it("token lines add the expiry and the endpoint version", async () => {
    await emulator.adminToken();
    expect(await line(/^aad: token issued .* via=secret/)).toMatch(/ via=secret exp=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z v2$/);
  });
});

describe("off", () => {
  const { emulator, lines } = loggingEmulator("off");
  beforeAll(() => emulator.start());
  afterAll(() => emulator.dispose());

  it("prints nothing: no request, token or denial lines", async () => {
    await emulator.createResourceGroup("quiet-rg");
    const vm = await emulator.createVm("quiet-rg", "quiet-vm", { type: "SystemAssigned" });
    const endpoint = await emulator.imdsEndpoint("quiet-rg", "quiet-vm");
    const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    expect((await emulator.arm("GET", emulator.rgPath("quiet-rg"), undefined, t.body.access_token)).status).toBe(403);
    expect(vm.identity.principalId).toBeTruthy();
    // Lines arrive shortly after the answers (the info tests see them within milliseconds).
    await new Promise((r) => setTimeout(r, 300));
    expect(lines.filter((l) => WORKER_LINE.test(l))).toEqual([]);
  });
});
