// Each bound and validation on what clients send, one by one, with the status and error code of
// the service that refuses it: body sizes (declared and streamed), JSON depth, names, tags,
// content types and the JSON types of well-known properties, and framing the front refuses.
// test/e2e/fuzz.test.ts throws hundreds of malformed requests at all five services at once.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARM_API, TestEmulator } from "../support/emulator.ts";
import { head, rawRequest, type RawResponse } from "../support/raw-http.ts";

const emulator = TestEmulator.shared();
const RG = "limits-rg";
const VAULT = `kv-lim-${randomUUID().slice(0, 8)}`;
const MB = 1024 * 1024;
let armToken: string;
let graphToken: string;
let vaultToken: string;
let vaultUrl: string;
let imdsBase: string;

const json = (r: RawResponse) => JSON.parse(r.body);
const vmPath = (name: string) => emulator.vmPath(RG, name);
const hostOf = (base: string) => new URL(base).host;

/** A call with the given content type and raw body text (emulator.arm always says application/json). */
async function armWith(method: string, path: string, body: string, contentType?: string) {
  const response = await fetch(`${emulator.endpoints.arm}${path}`, {
    method,
    headers: { authorization: `Bearer ${armToken}`, ...(contentType ? { "content-type": contentType } : {}) },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A body declared (Content-Length) at `declared` bytes of which only the first bytes are sent. */
function declared(base: string, method: string, path: string, headers: [string, string][], declaredBytes: number) {
  return rawRequest(base, {
    data: head(`${method} ${path} HTTP/1.1`, [["Host", hostOf(base)], ...headers, ["Content-Length", String(declaredBytes)]]) + "{",
  });
}

/** A chunked body streamed in 64 KB chunks up to `bytes` (or until the answer arrives). */
function streamed(base: string, method: string, path: string, headers: [string, string][], bytes: number) {
  const chunk = Buffer.alloc(64 * 1024, " ");
  return rawRequest(base, {
    data: head(`${method} ${path} HTTP/1.1`, [["Host", hostOf(base)], ...headers, ["Transfer-Encoding", "chunked"]]),
    stream: { chunk, count: Math.ceil(bytes / chunk.length), chunked: true },
    timeoutMs: 30_000,
  });
}

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

beforeAll(async () => {
  await emulator.start();
  await emulator.createResourceGroup(RG);
  armToken = await emulator.adminToken();
  const credential = emulator.adminCredential();
  graphToken = (await credential.getToken("https://graph.microsoft.com/.default")).token;
  vaultToken = (await credential.getToken("https://vault.azure.net/.default")).token;
  const vault = await emulator.arm("PUT", `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}?api-version=2024-11-01`, {
    location: "westus",
    properties: { tenantId: emulator.endpoints.tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
  });
  expect(vault.status, JSON.stringify(vault.body)).toBe(201);
  vaultUrl = vault.body.properties.vaultUri;
  const grant = await emulator.arm("PUT", `${vault.body.id}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
    properties: {
      roleDefinitionId: `${emulator.subscriptionPath}/providers/Microsoft.Authorization/roleDefinitions/00482a5a-887f-4fb3-b363-3b7fe8e74483`,
      principalId: emulator.endpoints.admin.objectId,
      principalType: "ServicePrincipal",
    },
  });
  expect(grant.status).toBe(201);
  await emulator.createVm(RG, "limits-vm", { type: "SystemAssigned" });
  imdsBase = await emulator.imdsEndpoint(RG, "limits-vm");
});
afterAll(() => emulator.dispose());

describe("request bodies are bounded per service, refused with 413 in the service's shape", () => {
  it("Resource Manager: 4 MB, by Content-Length before reading and by counting a chunked body", async () => {
    const path = `${emulator.subscriptionPath}/resourcegroups/too-big?api-version=${ARM_API}`;
    const auth: [string, string][] = [["Authorization", `Bearer ${armToken}`], ["Content-Type", "application/json"]];
    for (const r of [await declared(emulator.endpoints.arm, "PUT", path, auth, 200 * MB), await streamed(emulator.endpoints.arm, "PUT", path, auth, 5 * MB)]) {
      expect(r.status).toBe(413);
      expect(json(r).error.code).toBe("RequestEntityTooLarge");
      expect(json(r).error.message).toContain("4 MB");
    }
    // Even without a token: the size is judged first.
    expect((await declared(emulator.endpoints.arm, "PUT", path, [["Content-Type", "application/json"]], 5 * MB)).status).toBe(413);
    // Just under the limit is an ordinary request.
    const padded = `{"location":"westus"${" ".repeat(4 * MB - 100)}}`;
    const ok = await emulator.arm("PUT", path, padded);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect((await emulator.arm("DELETE", path)).status).toBe(200);
  });

  it("the token endpoints: 1 MB (invalid_request, AADSTS90015)", async () => {
    const path = `/${emulator.endpoints.tenantId}/oauth2/v2.0/token`;
    const form: [string, string][] = [["Content-Type", "application/x-www-form-urlencoded"]];
    for (const r of [await declared(emulator.endpoints.login, "POST", path, form, 200 * MB), await streamed(emulator.endpoints.login, "POST", path, form, 2 * MB)]) {
      expect(r.status).toBe(413);
      expect(json(r).error).toBe("invalid_request");
      expect(json(r).error_codes).toEqual([90015]);
    }
  });

  it("Microsoft Graph: 4 MB", async () => {
    const auth: [string, string][] = [["Authorization", `Bearer ${graphToken}`], ["Content-Type", "application/json"]];
    for (const r of [
      await declared(emulator.endpoints.graph, "POST", "/v1.0/applications", auth, 200 * MB),
      await streamed(emulator.endpoints.graph, "POST", "/v1.0/applications", auth, 5 * MB),
    ]) {
      expect(r.status).toBe(413);
      expect(json(r).error.code).toBe("RequestEntityTooLarge");
      expect(json(r).error.innerError["request-id"]).toBeTruthy();
    }
  });

  it("Key Vault: 25 KB per secret value (400 BadParameter), 256 KB per request (413)", async () => {
    const secretUrl = `${vaultUrl}secrets/big?api-version=7.5`;
    const tooLong = await fetch(secretUrl, {
      method: "PUT",
      headers: { authorization: `Bearer ${vaultToken}`, "content-type": "application/json" },
      body: JSON.stringify({ value: "x".repeat(25 * 1024 + 1) }),
    });
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).error.code).toBe("BadParameter");
    const path = new URL(secretUrl).pathname + new URL(secretUrl).search;
    const auth: [string, string][] = [["Authorization", `Bearer ${vaultToken}`], ["Content-Type", "application/json"]];
    for (const r of [await declared(emulator.endpoints.keyVault!, "PUT", path, auth, 200 * MB), await streamed(emulator.endpoints.keyVault!, "PUT", path, auth, MB)]) {
      expect(r.status).toBe(413);
      expect(json(r).error.code).toBe("RequestEntityTooLarge");
    }
    const fits = await fetch(secretUrl, {
      method: "PUT",
      headers: { authorization: `Bearer ${vaultToken}`, "content-type": "application/json" },
      body: JSON.stringify({ value: "x".repeat(25 * 1024) }),
    });
    expect(fits.status).toBe(200);
  });

  it("IMDS takes no body", async () => {
    const url = new URL(`${imdsBase}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`);
    const r = await rawRequest(emulator.endpoints.imds, {
      data: head(`GET ${url.pathname}${url.search} HTTP/1.1`, [["Host", url.host], ["Metadata", "true"], ["Content-Length", "5"]]) + "hello",
    });
    expect(r.status).toBe(413);
    expect(json(r).error).toBe("invalid_request");
  });

  it("an early answer (401) to a request still sending its body reaches the client intact", async () => {
    const path = `${emulator.subscriptionPath}/resourcegroups/early?api-version=${ARM_API}`;
    const r = await streamed(emulator.endpoints.arm, "PUT", path, [["Content-Type", "application/json"]], 3 * MB);
    expect(r.status).toBe(401);
    expect(json(r).error.code).toBe("AuthenticationFailed");
  });
});

describe("JSON nesting is bounded at 64 levels (400 before anything recursive runs)", () => {
  it("Resource Manager: 64 levels are read, 65 and 10,000 are InvalidRequestContent", async () => {
    const path = `${emulator.subscriptionPath}/resourcegroups/deep-rg?api-version=${ARM_API}`;
    const ok = await emulator.arm("PUT", path, `{"location":"westus","extra":${nested(63)}}`);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const over = await emulator.arm("PUT", path, `{"location":"westus","extra":${nested(64)}}`);
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe("InvalidRequestContent");
    expect(over.body.error.message).toContain("MaxDepth of 64");
    const vm = await emulator.arm("PUT", vmPath("deep-vm"), `{"location":"westus","properties":{"x":${nested(10_000)}}}`);
    expect(vm.status).toBe(400);
    expect(vm.body.error.code).toBe("InvalidRequestContent");
    const objects = await emulator.arm("PUT", vmPath("deep-vm"), `{"location":"westus","properties":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}`);
    expect(objects.status).toBe(400);
    expect((await emulator.arm("GET", vmPath("deep-vm"))).status).toBe(404);
  });

  it("Graph, Key Vault: 400 in their own shapes", async () => {
    const graph = await fetch(`${emulator.endpoints.graph}/v1.0/applications`, {
      method: "POST",
      headers: { authorization: `Bearer ${graphToken}`, "content-type": "application/json" },
      body: `{"displayName":"deep","tags":${nested(10_000)}}`,
    });
    expect(graph.status).toBe(400);
    expect((await graph.json()).error.code).toBe("Request_BadRequest");
    const vault = await fetch(`${vaultUrl}secrets/deep?api-version=7.5`, {
      method: "PUT",
      headers: { authorization: `Bearer ${vaultToken}`, "content-type": "application/json" },
      body: `{"value":"v","tags":${nested(10_000)}}`,
    });
    expect(vault.status).toBe(400);
    expect((await vault.json()).error.code).toBe("BadParameter");
  });
});

describe("names, tags, content types and property types are checked before any side effect", () => {
  it("resource names with control or format characters: InvalidResourceName", async () => {
    for (const name of ["vm%00x", "vm%E2%80%AEx", "vm%0Ax", "vm%E2%80%8Bx", "vm%C2%85x"]) {
      const r = await emulator.arm("PUT", vmPath(name), { location: "westus" });
      expect(r.status, name).toBe(400);
      expect(r.body.error.code, name).toBe("InvalidResourceName");
    }
    const uami = await emulator.arm(
      "PUT",
      `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id%E2%80%AEx?api-version=2024-11-30`,
      { location: "westus" },
    );
    expect(uami.body.error.code).toBe("InvalidResourceName");
    const group = await emulator.arm("PUT", `${emulator.subscriptionPath}/resourcegroups/rg%00x?api-version=${ARM_API}`, { location: "westus" });
    expect(group.status).toBe(400);
    expect(group.body.error.code).toBe("InvalidResourceGroupName");
    const list = await emulator.arm("GET", `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines?api-version=${ARM_API}`);
    expect(list.body.value.map((v: { name: string }) => v.name)).toEqual(["limits-vm"]);
  });

  it("tags: at most 50, names up to 512 characters without <>%&\\?/ or control characters, values up to 256", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ "a\u0000b": "v" }, "InvalidTagNameCharacters"],
      [{ "a\u202eb": "v" }, "InvalidTagNameCharacters"],
      [{ "a<b": "v" }, "InvalidTagNameCharacters"],
      [{ "a/b": "v" }, "InvalidTagNameCharacters"],
      [{ "50%": "v" }, "InvalidTagNameCharacters"],
      [{ [`${"k".repeat(513)}`]: "v" }, "InvalidTagName"],
      [{ "": "v" }, "InvalidTagName"],
      [{ k: "v".repeat(257) }, "InvalidTagValueLength"],
      [{ k: "line\u0000break" }, "InvalidTagValue"],
      [Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, "v"])), "InvalidTagCount"],
    ];
    for (const [tags, code] of cases) {
      for (const path of [vmPath("tag-vm"), `${emulator.subscriptionPath}/resourcegroups/tag-rg?api-version=${ARM_API}`]) {
        const r = await emulator.arm("PUT", path, { location: "westus", tags });
        expect(r.status, `${code} ${path}`).toBe(400);
        expect(r.body.error.code, path).toBe(code);
      }
    }
    expect((await emulator.arm("GET", vmPath("tag-vm"))).status).toBe(404);
    const fits = await emulator.arm("PUT", `${emulator.subscriptionPath}/resourcegroups/tag-rg?api-version=${ARM_API}`, {
      location: "westus",
      tags: { [`${"k".repeat(512)}`]: "v".repeat(256), "with space.and-dash_and:colon": "ünïcode ✓" },
    });
    expect(fits.status, JSON.stringify(fits.body)).toBe(201);
  });

  it("a PUT or PATCH body that is not JSON by its Content-Type: 415 UnsupportedMediaType", async () => {
    const rgPath = `${emulator.subscriptionPath}/resourcegroups/media-rg?api-version=${ARM_API}`;
    const plain = await armWith("PUT", rgPath, '{"location":"westus"}', "text/plain");
    expect(plain.status).toBe(415);
    expect(plain.body.error).toEqual({
      code: "UnsupportedMediaType",
      message: "The content media type 'text/plain' is not supported. Only 'application/json' is supported.",
    });
    const form = await armWith("PATCH", vmPath("limits-vm"), "tags=x", "application/x-www-form-urlencoded");
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe("UnsupportedMediaType");
    expect((await armWith("PUT", rgPath, '{"location":"westus"}', "application/json; charset=utf-8")).status).toBe(201);
  });

  it("well-known properties of the wrong JSON type: 400", async () => {
    const cases: [string, unknown, string][] = [
      [vmPath("typed-vm"), { location: "westus", properties: { hardwareProfile: { vmSize: 7 } } }, "InvalidParameter"],
      [vmPath("typed-vm"), { location: "westus", properties: { hardwareProfile: "big" } }, "InvalidParameter"],
      [vmPath("typed-vm"), { location: "westus", properties: { osProfile: { adminUsername: ["a"] } } }, "InvalidParameter"],
      [vmPath("typed-vm"), { location: 7 }, "InvalidRequestContent"],
      [vmPath("typed-vm"), { location: "westus", tags: ["a"] }, "InvalidRequestContent"],
      [vmPath("typed-vm"), { location: "westus", tags: { a: 1 } }, "InvalidRequestContent"],
      [vmPath("typed-vm"), { location: "westus", identity: { type: 5 } }, "InvalidRequestContent"],
      [vmPath("typed-vm"), { location: "westus", identity: "SystemAssigned" }, "InvalidRequestContent"],
      [vmPath("typed-vm"), { location: "westus", properties: "x" }, "InvalidRequestContent"],
      [vmPath("typed-vm"), { location: "westus", zones: [1] }, "InvalidRequestContent"],
      [`${emulator.subscriptionPath}/resourcegroups/typed-rg?api-version=${ARM_API}`, { location: { name: "westus" } }, "InvalidRequestContent"],
    ];
    for (const [path, body, code] of cases) {
      const r = await emulator.arm("PUT", path, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code, JSON.stringify(body)).toBe(code);
    }
    const patch = await emulator.arm("PATCH", vmPath("limits-vm"), { location: ["westus"] });
    expect(patch.status).toBe(400);
    expect((await emulator.arm("GET", vmPath("typed-vm"))).status).toBe(404);
    expect((await emulator.arm("GET", `${emulator.subscriptionPath}/resourcegroups/typed-rg?api-version=${ARM_API}`)).status).toBe(404);
  });

  it("a body that is not UTF-8: 400 InvalidRequestContent", async () => {
    const path = `${emulator.subscriptionPath}/resourcegroups/utf8-rg?api-version=${ARM_API}`;
    const body = Buffer.concat([Buffer.from('{"location":"west'), Buffer.from([0xff, 0xfe]), Buffer.from('us"}')]);
    const r = await rawRequest(emulator.endpoints.arm, {
      data: Buffer.concat([
        Buffer.from(head(`PUT ${path} HTTP/1.1`, [["Host", hostOf(emulator.endpoints.arm)], ["Authorization", `Bearer ${armToken}`], ["Content-Type", "application/json"], ["Content-Length", String(body.length)]])),
        body,
      ]),
    });
    expect(r.status).toBe(400);
    expect(json(r).error.code).toBe("InvalidRequestContent");
  });
});

describe("malformed HTTP is answered by the front in each service's JSON shape", () => {
  const services = () =>
    [
      ["arm", emulator.endpoints.arm, (b: any) => b.error.code === "BadRequest"],
      ["aad", emulator.endpoints.login, (b: any) => b.error === "invalid_request" && b.error_codes[0] === 9002313],
      ["graph", emulator.endpoints.graph, (b: any) => b.error.code === "BadRequest" && typeof b.error.innerError.date === "string"],
      ["keyvault", emulator.endpoints.keyVault!, (b: any) => b.error.code === "BadParameter"],
      ["imds", emulator.endpoints.imds, (b: any) => b.error === "invalid_request" && typeof b.error_description === "string"],
    ] as const;

  it("a bad request line, an invalid header and broken chunked encoding: 400", async () => {
    for (const [name, base, shape] of services()) {
      for (const data of [
        "NOT-HTTP\r\n\r\n",
        head("GET / HTTP/1.1", [["Host", "x"], ["Bad Header", "y"]]),
        head("POST / HTTP/1.1", [["Host", "x"], ["Transfer-Encoding", "chunked"]]) + "zz\r\n{}\r\n0\r\n\r\n",
        head("POST / HTTP/1.1", [["Host", "x"], ["Content-Length", "2"], ["Content-Length", "3"]]) + "{}",
      ]) {
        const r = await rawRequest(base, { data });
        expect(r.status, `${name} ${JSON.stringify(data.slice(0, 40))}`).toBe(400);
        expect(r.headers["content-type"]).toMatch(/^application\/json/);
        expect(shape(json(r)), `${name}: ${r.body}`).toBe(true);
      }
    }
  });

  it("headers beyond 16 KB: 431; CONNECT and unknown methods: 405", async () => {
    for (const [name, base] of services()) {
      const big = await rawRequest(base, { data: head("GET / HTTP/1.1", [["Host", "x"], ["X-Big", "a".repeat(20_000)]]) });
      expect(big.status, name).toBe(431);
      expect(() => json(big)).not.toThrow();
      for (const data of [head("CONNECT example.com:443 HTTP/1.1", [["Host", "example.com:443"]]), head("PROPFIND / HTTP/1.1", [["Host", "x"]])]) {
        const r = await rawRequest(base, { data });
        expect(r.status, `${name} ${data.slice(0, 10)}`).toBe(405);
        expect(() => json(r)).not.toThrow();
      }
    }
  });
});
