// Key Vault by host name: every vault also answers at https://{vault}.vault.localhost:{port}/ with
// its paths at the root, as az builds vault URLs from the cloud's suffixes.keyVaultDns. Node here
// cannot resolve *.vault.localhost, so requests go to 127.0.0.1 with the vault's name as SNI (the
// server certificate carries *.vault.localhost, signed by the test CA in NODE_EXTRA_CA_CERTS) and
// as Host; the unmodified SecretClient gets an https.Agent whose lookup maps the name to loopback.
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { SecretClient, parseKeyVaultSecretIdentifier } from "@azure/keyvault-secrets";
import { randomUUID } from "node:crypto";
import { lookup } from "node:dns";
import type { IncomingHttpHeaders } from "node:http";
import { Agent, request } from "node:https";
import type { LookupFunction } from "node:net";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt } from "../support/emulator.ts";

const KV_ARM_API = "2024-11-01";
const AUTHZ_API = "2022-04-01";
const SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
const SUFFIX = "vault.localhost";

const emulator = TestEmulator.shared();
const RG = "kvh-rg";
const VAULT = `kvh-${randomUUID().slice(0, 8)}`;
/** A vault the admin (Owner, no data role) holds nothing on. */
const CLOSED = `kvc-${randomUUID().slice(0, 8)}`;
let vaultPort: string;
/** https://vault.localhost:{port}: this cloud's Key Vault resource. */
let keyVaultResource: string;
/** The path-style vaultUri Resource Manager answers (trailing slash). */
let pathStyleUri: string;
/** Tokens of the admin for https://vault.localhost:{port} and for https://vault.azure.net. */
let ownAudienceToken: string;
let azureAudienceToken: string;

/** Resolves *.vault.localhost to loopback for the unmodified SDK; other names as usual. */
const vaultDns: LookupFunction = ((hostname: string, options: any, callback: any) =>
  lookup(hostname.endsWith(`.${SUFFIX}`) ? "127.0.0.1" : hostname, options, callback)) as LookupFunction;
const agent = new Agent({ lookup: vaultDns });

const hostOf = (vault: string) => `${vault}.${SUFFIX}`;
const hostUrl = (vault: string) => `https://${hostOf(vault)}:${vaultPort}`;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
  authorized: boolean;
  subjectAltName: string | undefined;
}

/**
 * A data-plane call to a vault by host name: TCP to 127.0.0.1, `servername` as SNI and for the
 * certificate check, `host` (port added) as the Host header.
 */
function byHost(host: string, method: string, path: string, token: string | null, body?: unknown, servername = host): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: "127.0.0.1",
        port: Number(vaultPort),
        servername,
        method,
        path,
        agent: false,
        headers: {
          host: `${host}:${vaultPort}`,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const authorized = socket.authorized;
        const subjectAltName = socket.getPeerCertificate().subjectaltname;
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined, authorized, subjectAltName }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** The same call path-style, at Resource Manager's vaultUri. */
async function byPath(method: string, path: string, token: string | null, body?: unknown) {
  const response = await fetch(`${pathStyleUri}${path.replace(/^\//, "")}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** The admin's client-credentials grant on the authority's v2 endpoint. */
async function adminToken(scope: string): Promise<{ status: number; body: any }> {
  const e = emulator.endpoints;
  const response = await fetch(`${e.login}/${e.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: e.admin.clientId, client_secret: e.admin.clientSecret, scope }),
  });
  return { status: response.status, body: await response.json() };
}

async function createVault(name: string): Promise<any> {
  const r = await emulator.arm("PUT", `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${name}?api-version=${KV_ARM_API}`, {
    location: "westus",
    properties: { tenantId: emulator.endpoints.tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
  });
  if (r.status !== 200 && r.status !== 201) throw new Error(`create vault: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

beforeAll(async () => {
  await emulator.start();
  vaultPort = new URL(emulator.endpoints.keyVault!).port;
  keyVaultResource = `https://${SUFFIX}:${vaultPort}`;
  await emulator.createResourceGroup(RG);
  const vault = await createVault(VAULT);
  await createVault(CLOSED);
  pathStyleUri = vault.properties.vaultUri;
  // The admin is Owner, which holds no data action: Key Vault Secrets Officer on the vault.
  const grant = await emulator.arm("PUT", `${vault.id}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=${AUTHZ_API}`, {
    properties: {
      roleDefinitionId: `${emulator.subscriptionPath}/providers/Microsoft.Authorization/roleDefinitions/${SECRETS_OFFICER}`,
      principalId: emulator.endpoints.admin.objectId,
      principalType: "ServicePrincipal",
    },
  });
  expect(grant.status, JSON.stringify(grant.body)).toBe(201);
  const own = await adminToken(`${keyVaultResource}/.default`);
  expect(own.status, JSON.stringify(own.body)).toBe(200);
  ownAudienceToken = own.body.access_token;
  azureAudienceToken = (await emulator.adminCredential().getToken("https://vault.azure.net/.default")).token;
});
afterAll(async () => {
  agent.destroy();
  await emulator.dispose();
});

describe("addressing and TLS", () => {
  it("the vault's host name is served on the wildcard certificate, verified against the test CA", async () => {
    const r = await byHost(hostOf(VAULT), "GET", "/secrets?api-version=7.5", null);
    expect(r.authorized).toBe(true);
    expect(r.subjectAltName).toContain(`DNS:*.${SUFFIX}`);
    expect(r.status).toBe(401);
  });

  it("a vault that does not exist answers 404 VaultNotFound by host name, with or without a token", async () => {
    for (const token of [null, ownAudienceToken]) {
      const r = await byHost(hostOf("kvh-missing"), "GET", "/secrets?api-version=7.5", token);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("VaultNotFound");
      expect(r.body.error.message).toContain("'kvh-missing'");
    }
  });

  it("a multi-label prefix is not a vault, not even when its last label names one", async () => {
    // *.vault.localhost covers one label only, so the certificate is checked for localhost here.
    for (const host of [`a.b.${SUFFIX}`, `x.${VAULT}.${SUFFIX}`]) {
      const r = await byHost(host, "GET", "/secrets?api-version=7.5", ownAudienceToken, undefined, "localhost");
      expect(r.status, host).toBe(404);
      expect(r.body.error.code, host).toBe("NotFound");
    }
  });

  it("the Host header decides, case-insensitively; ids come back lower-case", async () => {
    await byHost(hostOf(VAULT), "PUT", "/secrets/cased?api-version=7.5", ownAudienceToken, { value: "c" });
    const r = await byHost(hostOf(VAULT).toUpperCase(), "GET", "/secrets/cased?api-version=7.5", ownAudienceToken);
    expect(r.status).toBe(200);
    expect(r.body.value).toBe("c");
    expect(r.body.id).toMatch(new RegExp(`^${hostUrl(VAULT)}/secrets/cased/[0-9a-f]{32}$`));
  });
});

describe("the challenge", () => {
  it("a host-named request's 401 names this cloud's Key Vault resource, https://vault.localhost:{port}", async () => {
    const r = await byHost(hostOf(VAULT), "GET", "/secrets?api-version=7.5", null);
    expect(r.status).toBe(401);
    expect(r.headers["www-authenticate"]).toBe(
      `Bearer authorization="${emulator.endpoints.login}/${emulator.endpoints.tenantId}", resource="${keyVaultResource}"`,
    );
    expect(r.body.error).toEqual({ code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." });
  });

  it("a path-style request's 401 names https://vault.azure.net", async () => {
    const r = await byPath("GET", "secrets?api-version=7.5", null);
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe(
      `Bearer authorization="${emulator.endpoints.login}/${emulator.endpoints.tenantId}", resource="https://vault.azure.net"`,
    );
  });

  it("a token for another resource is refused by host name with the same challenge", async () => {
    const r = await byHost(hostOf(VAULT), "GET", "/secrets?api-version=7.5", await emulator.adminToken());
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("Unauthorized");
    expect(r.headers["www-authenticate"]).toContain(`resource="${keyVaultResource}"`);
  });
});

describe("tokens", () => {
  it("the authority issues tokens for https://vault.localhost:{port}; Key Vault accepts them either way it is addressed", async () => {
    expect(decodeJwt(ownAudienceToken).payload.aud).toBe(keyVaultResource);
    expect((await byHost(hostOf(VAULT), "GET", "/secrets?api-version=7.5", ownAudienceToken)).status).toBe(200);
    expect((await byPath("GET", "secrets?api-version=7.5", ownAudienceToken)).status).toBe(200);
    // ... and Azure's own audience by host name too.
    expect((await byHost(hostOf(VAULT), "GET", "/secrets?api-version=7.5", azureAudienceToken)).status).toBe(200);
  });

  it("the authority issues tokens for a vault's own URL, https://{vault}.vault.localhost:{port}", async () => {
    const r = await adminToken(`${hostUrl(VAULT)}/.default`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(decodeJwt(r.body.access_token).payload.aud).toBe(hostUrl(VAULT));
    // As in Azure (a token for https://{vault}.vault.azure.net), Key Vault itself refuses that audience.
    const refused = await byHost(hostOf(VAULT), "GET", "/secrets?api-version=7.5", r.body.access_token);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toEqual({ code: "Unauthorized", message: `AKV10022: Invalid audience. Expected https://vault.azure.net, found: ${hostUrl(VAULT)}.` });
  });

  it("data roles still decide: Owner without a Key Vault role is 403 by host name", async () => {
    const r = await byHost(hostOf(CLOSED), "GET", "/secrets/anything?api-version=7.5", ownAudienceToken);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("Forbidden");
    expect(r.body.error.innererror).toEqual({ code: "ForbiddenByRbac" });
    expect(r.body.error.message).toContain(`Vault: ${CLOSED};location=westus`);
  });
});

describe("secrets by host name", () => {
  it("a secret set by host name has an id on that host, parses, and reads back path-style", async () => {
    const set = await byHost(hostOf(VAULT), "PUT", "/secrets/by-host?api-version=7.5", ownAudienceToken, { value: "hello host" });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.id).toMatch(new RegExp(`^https://${VAULT}\\.vault\\.localhost:${vaultPort}/secrets/by-host/[0-9a-f]{32}$`));

    const parsed = parseKeyVaultSecretIdentifier(set.body.id);
    const version = set.body.id.split("/").pop();
    expect(parsed).toEqual({ sourceId: set.body.id, vaultUrl: hostUrl(VAULT), name: "by-host", version });

    const latest = await byPath("GET", "secrets/by-host?api-version=7.5", azureAudienceToken);
    expect(latest.status).toBe(200);
    expect(latest.body.value).toBe("hello host");
    const exact = await byPath("GET", `secrets/by-host/${version}?api-version=7.5`, azureAudienceToken);
    expect(exact.body.value).toBe("hello host");
    expect(exact.body.id.split("/").pop()).toBe(version);

    // The id's own path, on its own host, is the secret again.
    const again = await byHost(hostOf(VAULT), "GET", `${new URL(set.body.id).pathname}?api-version=7.5`, ownAudienceToken);
    expect(again.body).toMatchObject({ id: set.body.id, value: "hello host" });
    const listed = await byHost(hostOf(VAULT), "GET", "/secrets?api-version=7.5", ownAudienceToken);
    expect(listed.body.value.map((s: any) => s.id)).toContain(`${hostUrl(VAULT)}/secrets/by-host`);
  });

  it("a secret set path-style reads back by host name", async () => {
    const set = await byPath("PUT", "secrets/by-path?api-version=7.5", azureAudienceToken, { value: "hello path" });
    expect(set.status).toBe(200);
    const r = await byHost(hostOf(VAULT), "GET", "/secrets/by-path?api-version=7.5", ownAudienceToken);
    expect(r.status).toBe(200);
    expect(r.body.value).toBe("hello path");
    expect(r.body.id).toBe(`${hostUrl(VAULT)}/secrets/by-path/${set.body.id.split("/").pop()}`);
  });

  it("the unmodified SecretClient works by host name without disableChallengeResourceVerification", async () => {
    const scopes: string[] = [];
    const inner = emulator.adminCredential();
    const recording: TokenCredential = {
      getToken: (scope: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> => {
        scopes.push(...(Array.isArray(scope) ? scope : [scope]));
        return inner.getToken(scope, options);
      },
    };
    const client = new SecretClient(hostUrl(VAULT), recording, { agent });
    const set = await client.setSecret("from-sdk", "sdk value");
    expect(set.properties.vaultUrl).toBe(hostUrl(VAULT));
    expect(set.properties.id).toMatch(new RegExp(`^${hostUrl(VAULT)}/secrets/from-sdk/[0-9a-f]{32}$`));
    const got = await client.getSecret("from-sdk", { version: parseKeyVaultSecretIdentifier(set.properties.id!).version });
    expect(got.value).toBe("sdk value");
    const names: string[] = [];
    for await (const p of client.listPropertiesOfSecrets()) names.push(p.name);
    expect(names).toEqual(expect.arrayContaining(["by-host", "from-sdk"]));
    // The client asked for the resource the challenge named.
    expect(new Set(scopes)).toEqual(new Set([`${keyVaultResource}/.default`]));
  });
});

describe("api-versions by host name", () => {
  it("7.6-preview.2 (Debian 13's azure-keyvault-secrets default) is accepted", async () => {
    const set = await byHost(hostOf(VAULT), "PUT", "/secrets/preview?api-version=7.6-preview.2", ownAudienceToken, { value: "p" });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect((await byHost(hostOf(VAULT), "GET", "/secrets/preview?api-version=7.6-preview.2", ownAudienceToken)).body.value).toBe("p");
    expect((await byPath("GET", "secrets/preview?api-version=7.6-preview.2", azureAudienceToken)).status).toBe(200);
  });

  it("an unknown api-version is still refused with Key Vault's error", async () => {
    for (const version of ["7.9", "7.6-preview.9"]) {
      const r = await byHost(hostOf(VAULT), "GET", `/secrets?api-version=${version}`, ownAudienceToken);
      expect(r.status, version).toBe(400);
      expect(r.body.error).toEqual({
        code: "BadParameter",
        message: `The specified version (${version}) is not recognized. Consider using the latest supported version (2025-07-01).`,
      });
    }
    const missing = await byHost(hostOf(VAULT), "GET", "/secrets", ownAudienceToken);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toEqual({ code: "BadParameter", message: "The api-version query parameter is missing." });
  });
});
