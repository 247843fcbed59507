// Certificate credentials of applications: a certificate uploaded with Graph's PATCH
// /applications/{id} {keyCredentials} signs client assertions the authority accepts both ways
// Azure AD does: PS256 + x5t#S256 (@azure/identity's ClientCertificateCredential, and a jose
// assertion) and RS256 + x5t (@azure/msal-node with a SHA-1 thumbprint). Then the refusals: a
// wrong signature, an expired assertion, a wrong audience, a wrong issuer, a removed certificate;
// and the PATCH's own validation and rights.
import "reflect-metadata";
import { ClientCertificateCredential, ClientSecretCredential } from "@azure/identity";
import { ConfidentialClientApplication } from "@azure/msal-node";
import * as x509 from "@peculiar/x509";
import { SignJWT, importPKCS8 } from "jose";
import { createHash, randomUUID, webcrypto } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, type GraphAnswer } from "../support/emulator.ts";

x509.cryptoProvider.set(webcrypto as Crypto);

const emulator = TestEmulator.shared();
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const ARM_SCOPE = "https://management.azure.com/.default";
const MSI_API = "2024-11-30";

let adminGraphToken: string;


function graph(method: string, path: string, body?: unknown, token: string | null = adminGraphToken): Promise<GraphAnswer> {
  return emulator.graph(method, path, body, token);
}

function expectGraphError(answer: GraphAnswer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.body.error.code).toBe(code);
  expect(answer.body.error.innerError).toMatchObject({ "request-id": expect.any(String) });
}

interface TestCertificate {
  /** base64 DER: the `key` of a keyCredential */
  key: string;
  certificatePem: string;
  privateKeyPem: string;
  /** SHA-1 thumbprint, upper-case hex (Graph's customKeyIdentifier, msal-node's `thumbprint`) */
  sha1Hex: string;
  x5t: string;
  x5tS256: string;
  notBefore: Date;
  notAfter: Date;
  subject: string;
}

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

function pem(label: string, der: ArrayBuffer | Uint8Array): string {
  const lines = Buffer.from(der as ArrayBuffer).toString("base64").match(/.{1,64}/g)!;
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** An RSA-2048 self-signed certificate, made the way a developer would with @peculiar/x509. */
async function makeCertificate(commonName: string, validity?: { notBefore: Date; notAfter: Date }): Promise<TestCertificate> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
  const notBefore = validity?.notBefore ?? new Date(Math.floor(Date.now() / 1000) * 1000 - 60 * 60_000);
  const notAfter = validity?.notAfter ?? new Date(notBefore.getTime() + 365 * 86_400_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomUUID().replace(/-/g, "").replace(/^[89a-f]/, "1"),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    signingAlgorithm: RSA,
    keys,
  });
  const der = Buffer.from(certificate.rawData);
  return {
    key: der.toString("base64"),
    certificatePem: certificate.toString("pem"),
    privateKeyPem: pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)),
    sha1Hex: createHash("sha1").update(der).digest("hex").toUpperCase(),
    x5t: createHash("sha1").update(der).digest("base64url"),
    x5tS256: createHash("sha256").update(der).digest("base64url"),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    subject: `CN=${commonName}`,
  };
}

const uploaded = (certificate: TestCertificate, extra: Record<string, unknown> = {}) => ({
  type: "AsymmetricX509Cert",
  usage: "Verify",
  key: certificate.key,
  ...extra,
});

async function createApplication(displayName: string): Promise<{ id: string; appId: string; principalId: string }> {
  const app = await graph("POST", "/v1.0/applications", { displayName });
  expect(app.status, app.text).toBe(201);
  const sp = await graph("POST", "/v1.0/servicePrincipals", { appId: app.body.appId });
  expect(sp.status, sp.text).toBe(201);
  return { id: app.body.id, appId: app.body.appId, principalId: sp.body.id };
}

function tokenEndpoint(version: 1 | 2 = 2): string {
  const e = emulator.endpoints;
  return `${e.login}/${e.tenantId}/oauth2/${version === 2 ? "v2.0/" : ""}token`;
}

type SigningKey = Awaited<ReturnType<typeof importPKCS8>>;

/** A client assertion signed with jose, every part of it adjustable. */
async function assertion(
  privateKey: SigningKey,
  options: { alg: "RS256" | "PS256"; header: Record<string, string>; clientId: string; iss?: string; sub?: string; aud?: string; nbf?: number; exp?: number },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: options.alg, typ: "JWT", ...options.header })
    .setIssuer(options.iss ?? options.clientId)
    .setSubject(options.sub ?? options.clientId)
    .setAudience(options.aud ?? tokenEndpoint())
    .setIssuedAt(now)
    .setNotBefore(options.nbf ?? now)
    .setExpirationTime(options.exp ?? now + 600)
    .sign(privateKey);
}

/** The client-credentials grant with a client assertion, raw, so refusals can be read. */
async function redeem(clientId: string, clientAssertion: string, version: 1 | 2 = 2) {
  const r = await fetch(tokenEndpoint(version), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: clientId,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: clientAssertion,
      ...(version === 2 ? { scope: ARM_SCOPE } : { resource: "https://management.azure.com/" }),
    }),
  });
  return { status: r.status, body: await r.json() };
}

beforeAll(async () => {
  await emulator.start();
  adminGraphToken = (await emulator.adminCredential().getToken(GRAPH_SCOPE)).token;
});
afterAll(() => emulator.dispose());

describe("signing in with a certificate uploaded through Graph", () => {
  let app: { id: string; appId: string; principalId: string };
  let certificate: TestCertificate;

  beforeAll(async () => {
    app = await createApplication("cert-client");
    certificate = await makeCertificate("cert-client");
    const patched = await graph("PATCH", `/v1.0/applications/${app.id}`, { keyCredentials: [uploaded(certificate, { displayName: "ci certificate" })] });
    expect(patched.status, patched.text).toBe(204);
  });

  it("shows the certificate as Graph does, computed from the certificate itself", async () => {
    const read = await graph("GET", `/v1.0/applications/${app.id}`);
    expect(read.status, read.text).toBe(200);
    expect(read.body.keyCredentials).toEqual([
      {
        customKeyIdentifier: certificate.sha1Hex,
        displayName: "ci certificate",
        endDateTime: certificate.notAfter.toISOString(),
        key: null,
        keyId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        startDateTime: certificate.notBefore.toISOString(),
        type: "AsymmetricX509Cert",
        usage: "Verify",
      },
    ]);
    expect(read.text).not.toContain(certificate.key.slice(0, 40));
    expect(read.text).not.toMatch(/x5t|"certificate"/i);
  });

  it("@azure/identity's ClientCertificateCredential (PS256, x5t#S256) gets a token for the application", async () => {
    const e = emulator.endpoints;
    const credential = new ClientCertificateCredential(
      e.tenantId,
      app.appId,
      { certificate: `${certificate.certificatePem}\n${certificate.privateKeyPem}` },
      { authorityHost: e.login, disableInstanceDiscovery: true },
    );
    const { token } = await credential.getToken(ARM_SCOPE);
    expect(decodeJwt(token).payload).toMatchObject({
      aud: "https://management.azure.com",
      appid: app.appId,
      appidacr: "2",
      oid: app.principalId,
      tid: e.tenantId,
    });
  });

  it("accepts a PS256 assertion located by x5t#S256 and an RS256 one located by x5t, at both endpoints", async () => {
    const ps256 = await importPKCS8(certificate.privateKeyPem, "PS256");
    const bySha256 = await redeem(app.appId, await assertion(ps256, { alg: "PS256", header: { "x5t#S256": certificate.x5tS256 }, clientId: app.appId }));
    expect(bySha256.status, JSON.stringify(bySha256.body)).toBe(200);
    expect(decodeJwt(bySha256.body.access_token).payload).toMatchObject({ appidacr: "2", oid: app.principalId, appid: app.appId });

    const rs256 = await importPKCS8(certificate.privateKeyPem, "RS256");
    const v1 = await redeem(
      app.appId,
      await assertion(rs256, { alg: "RS256", header: { x5t: certificate.x5t }, clientId: app.appId, aud: tokenEndpoint(1) }),
      1,
    );
    expect(v1.status, JSON.stringify(v1.body)).toBe(200);
    expect(decodeJwt(v1.body.access_token).payload).toMatchObject({ appidacr: "2", oid: app.principalId });
  });

  it("@azure/msal-node's ConfidentialClientApplication with a SHA-1 thumbprint (RS256, x5t) gets a token", async () => {
    const e = emulator.endpoints;
    const client = new ConfidentialClientApplication({
      auth: {
        clientId: app.appId,
        authority: `${e.login}/${e.tenantId}`,
        knownAuthorities: [new URL(e.login).host],
        clientCertificate: { thumbprint: certificate.sha1Hex, privateKey: certificate.privateKeyPem },
      },
    });
    const result = await client.acquireTokenByClientCredential({ scopes: [ARM_SCOPE] });
    expect(result?.accessToken).toBeTruthy();
    expect(decodeJwt(result!.accessToken).payload).toMatchObject({ appidacr: "2", oid: app.principalId, appid: app.appId });
  });

  it("refuses a wrong signature, an expired assertion, a wrong audience and a wrong issuer", async () => {
    const ps256 = await importPKCS8(certificate.privateKeyPem, "PS256");
    const impostor = await makeCertificate("impostor");
    const impostorKey = await importPKCS8(impostor.privateKeyPem, "PS256");
    const forged = await redeem(app.appId, await assertion(impostorKey, { alg: "PS256", header: { "x5t#S256": certificate.x5tS256 }, clientId: app.appId }));
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ error: "invalid_client", error_codes: [700027] });
    const forgedRs = await redeem(
      app.appId,
      await assertion(await importPKCS8(impostor.privateKeyPem, "RS256"), { alg: "RS256", header: { x5t: certificate.x5t }, clientId: app.appId }),
    );
    expect(forgedRs.status).toBe(401);
    expect(forgedRs.body.error_codes).toEqual([700027]);
    // Its own certificate is registered nowhere.
    const unknown = await redeem(app.appId, await assertion(impostorKey, { alg: "PS256", header: { "x5t#S256": impostor.x5tS256 }, clientId: app.appId }));
    expect(unknown.status).toBe(401);
    expect(unknown.body.error_codes).toEqual([700027]);

    const now = Math.floor(Date.now() / 1000);
    const header = { "x5t#S256": certificate.x5tS256 };
    const expired = await redeem(app.appId, await assertion(ps256, { alg: "PS256", header, clientId: app.appId, nbf: now - 7200, exp: now - 3600 }));
    expect(expired.status).toBe(400);
    expect(expired.body.error_codes).toEqual([700024]);

    const wrongAudience = await redeem(app.appId, await assertion(ps256, { alg: "PS256", header, clientId: app.appId, aud: "https://example.com/token" }));
    expect(wrongAudience.status).toBe(400);
    expect(wrongAudience.body.error_codes).toEqual([700212]);

    const other = randomUUID();
    for (const claims of [{ iss: other, sub: other }, { sub: other }, { iss: other }]) {
      const r = await redeem(app.appId, await assertion(ps256, { alg: "PS256", header, clientId: app.appId, ...claims }));
      expect(r.status, JSON.stringify(claims)).toBe(400);
      expect(r.body.error_codes).toEqual([700021]);
    }
  });

  it("a certificate outside its validity does not sign in", async () => {
    const later = await createApplication("not-yet-valid");
    const start = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000);
    const future = await makeCertificate("not-yet-valid", { notBefore: start, notAfter: new Date(start.getTime() + 86_400_000) });
    expect((await graph("PATCH", `/v1.0/applications/${later.id}`, { keyCredentials: [uploaded(future)] })).status).toBe(204);
    const key = await importPKCS8(future.privateKeyPem, "PS256");
    const r = await redeem(later.appId, await assertion(key, { alg: "PS256", header: { "x5t#S256": future.x5tS256 }, clientId: later.appId }));
    expect(r.status).toBe(401);
    expect(r.body.error_codes).toEqual([700027]);
  });

  it("replacing keyCredentials with an empty list revokes the certificate at once", async () => {
    const ps256 = await importPKCS8(certificate.privateKeyPem, "PS256");
    const header = { "x5t#S256": certificate.x5tS256 };
    expect((await redeem(app.appId, await assertion(ps256, { alg: "PS256", header, clientId: app.appId }))).status).toBe(200);
    const cleared = await graph("PATCH", `/v1.0/applications/${app.id}`, { keyCredentials: [] });
    expect(cleared.status, cleared.text).toBe(204);
    expect((await graph("GET", `/v1.0/applications/${app.id}`)).body.keyCredentials).toEqual([]);
    const refused = await redeem(app.appId, await assertion(ps256, { alg: "PS256", header, clientId: app.appId }));
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: "invalid_client", error_codes: [700027] });
    expect(refused.body.error_description).toContain(certificate.x5tS256);
  });
});

describe("PATCH /applications/{id}", () => {
  it("replaces keyCredentials; entries naming an existing keyId without a key keep it; displayName changes with them", async () => {
    const app = await createApplication("rotating");
    const first = await makeCertificate("first");
    const second = await makeCertificate("second");
    const keyId = randomUUID();
    expect((await graph("PATCH", `/v1.0/applications/${app.id}`, { keyCredentials: [uploaded(first, { keyId })] })).status).toBe(204);
    const before = (await graph("GET", `/v1.0/applications/${app.id}`)).body;
    expect(before.keyCredentials).toEqual([expect.objectContaining({ keyId, displayName: first.subject, customKeyIdentifier: first.sha1Hex })]);

    // What Graph's documentation describes for adding a certificate: send the list back with the new one.
    const start = new Date(second.notBefore.getTime() + 3600_000);
    const end = new Date(second.notAfter.getTime() - 86_400_000);
    const rotated = await graph("PATCH", `/v1.0/applications/${app.id}`, {
      displayName: "rotated",
      keyCredentials: [...before.keyCredentials, uploaded(second, { displayName: "second", startDateTime: start.toISOString(), endDateTime: end.toISOString() })],
    });
    expect(rotated.status, rotated.text).toBe(204);
    const after = (await graph("GET", `/v1.0/applications/${app.id}`)).body;
    expect(after.displayName).toBe("rotated");
    expect(after.keyCredentials).toEqual([
      before.keyCredentials[0],
      expect.objectContaining({
        displayName: "second",
        customKeyIdentifier: second.sha1Hex,
        startDateTime: start.toISOString(),
        endDateTime: end.toISOString(),
      }),
    ]);
    // Both sign in.
    for (const certificate of [first, second]) {
      const key = await importPKCS8(certificate.privateKeyPem, "RS256");
      const r = await redeem(app.appId, await assertion(key, { alg: "RS256", header: { x5t: certificate.x5t }, clientId: app.appId }));
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }

    // A kept credential cannot be changed in place.
    const changed = await graph("PATCH", `/v1.0/applications/${app.id}`, { keyCredentials: [{ ...before.keyCredentials[0], displayName: "renamed" }] });
    expectGraphError(changed, 400, "Request_BadRequest");
    expect(changed.body.error.message).toBe(`Update to existing credential with KeyId '${keyId}' is not allowed.`);
    const noKey = await graph("PATCH", `/v1.0/applications/${app.id}`, { keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", keyId: randomUUID() }] });
    expectGraphError(noKey, 400, "Request_BadRequest");
    expect(noKey.body.error.message).toBe("KeyValue cannot be null or empty.");
    expect((await graph("GET", `/v1.0/applications/${app.id}`)).body.keyCredentials).toHaveLength(2);

    // Sending back what GET showed changes nothing.
    const { "@odata.context": _, ...unchanged } = after;
    const same = await graph("PATCH", `/v1.0/applications/${app.id}`, unchanged);
    expect(same.status, same.text).toBe(204);
    expect((await graph("GET", `/v1.0/applications/${app.id}`)).body).toEqual(after);
  });

  it("refuses keys that are not certificates and dates outside the certificate's, changing nothing", async () => {
    const app = await createApplication("validated");
    const certificate = await makeCertificate("validated");
    const patch = (body: unknown) => graph("PATCH", `/v1.0/applications/${app.id}`, body);

    const notCertificates = ["not base64 at all!", Buffer.from("hello, world").toString("base64"), certificate.certificatePem, ""];
    for (const key of notCertificates) {
      const r = await patch({ displayName: "changed", keyCredentials: [uploaded(certificate), { type: "AsymmetricX509Cert", usage: "Verify", key }] });
      expectGraphError(r, 400, "Request_BadRequest");
    }
    expect((await patch({ keyCredentials: [uploaded(certificate, { key: "AAAA" })] })).body.error.message).toContain("X.509 certificate");

    const late = await patch({ keyCredentials: [uploaded(certificate, { endDateTime: new Date(certificate.notAfter.getTime() + 1000).toISOString() })] });
    expectGraphError(late, 400, "Request_BadRequest");
    expect(late.body.error.message).toBe("Key credential end date is invalid.");
    const early = await patch({ keyCredentials: [uploaded(certificate, { startDateTime: new Date(certificate.notBefore.getTime() - 1000).toISOString() })] });
    expect(early.body.error.message).toBe("Key credential start date is invalid.");
    expectGraphError(await patch({ keyCredentials: [uploaded(certificate, { endDateTime: "not a date" })] }), 400, "Request_BadRequest");

    const usage = await patch({ keyCredentials: [uploaded(certificate, { usage: "Encrypt" })] });
    expectGraphError(usage, 400, "Request_BadRequest");
    expect(usage.body.error.message).toBe('The value for the property "usage" in one of your credentials is invalid. Acceptable values are Sign, Verify.');
    expectGraphError(await patch({ keyCredentials: [uploaded(certificate, { type: "Opaque" })] }), 400, "Request_BadRequest");
    expectGraphError(await patch({ keyCredentials: [{ usage: "Verify", key: certificate.key }] }), 400, "Request_BadRequest");
    expectGraphError(await patch({ keyCredentials: [uploaded(certificate, { keyId: "not-a-guid" })] }), 400, "Request_BadRequest");
    expectGraphError(await patch({ keyCredentials: [uploaded(certificate, { customKeyIdentifier: "ABCDEF" })] }), 400, "Request_BadRequest");
    expectGraphError(await patch({ keyCredentials: [uploaded(certificate, { color: "blue" })] }), 400, "BadRequest");
    expectGraphError(await patch({ keyCredentials: uploaded(certificate) }), 400, "Request_BadRequest");
    const twice = randomUUID();
    expectGraphError(await patch({ keyCredentials: [uploaded(certificate, { keyId: twice }), uploaded(certificate, { keyId: twice })] }), 400, "Request_BadRequest");
    // Signing keys (SAML) are real in Graph but not emulated.
    expectGraphError(await patch({ keyCredentials: [uploaded(certificate, { type: "X509CertAndPassword", usage: "Sign" })] }), 501, "NotImplemented");

    const read = (await graph("GET", `/v1.0/applications/${app.id}`)).body;
    expect(read.displayName).toBe("validated");
    expect(read.keyCredentials).toEqual([]);

    // The customKeyIdentifier Graph shows may be sent back, in hex or base64.
    const withIdentifier = await patch({
      keyCredentials: [uploaded(certificate, { customKeyIdentifier: Buffer.from(certificate.sha1Hex, "hex").toString("base64") })],
    });
    expect(withIdentifier.status, withIdentifier.text).toBe(204);
  });

  it("answers the properties it does not change by Graph's rules", async () => {
    const app = await createApplication("properties");
    const current = (await graph("GET", `/v1.0/applications/${app.id}`)).body;
    const patch = (body: unknown) => graph("PATCH", `/v1.0/applications/${app.id}`, body);

    // Unchanged values and annotations are accepted.
    expect((await patch({ appId: current.appId, signInAudience: "AzureADMyOrg", tags: [], "@odata.type": "#microsoft.graph.application" })).status).toBe(204);
    expect((await patch({})).status).toBe(204);

    expectGraphError(await patch({ appId: randomUUID() }), 400, "Request_BadRequest");
    expectGraphError(await patch({ passwordCredentials: [{ displayName: "x" }] }), 400, "Request_BadRequest");
    expectGraphError(await patch({ owners: [] }), 400, "Request_BadRequest");
    expectGraphError(await patch({ signInAudience: "AzureADMultipleOrgs" }), 400, "Request_BadRequest");
    expectGraphError(await patch({ displayName: "" }), 400, "Request_BadRequest");
    expectGraphError(await patch({ displayName: 42 }), 400, "Request_BadRequest");
    const unknown = await patch({ favouriteColour: "blue" });
    expectGraphError(unknown, 400, "BadRequest");
    expect(unknown.body.error.message).toContain("does not exist on type 'microsoft.graph.application'");
    for (const body of [{ identifierUris: ["api://x"] }, { web: { redirectUris: ["https://localhost"] } }, { requiredResourceAccess: [] }]) {
      const r = await patch(body);
      expectGraphError(r, 501, "NotImplemented");
      expect(r.body.error.message).toContain(Object.keys(body)[0]);
    }
    // Nothing was applied, not even the valid part of a refused request.
    expectGraphError(await patch({ displayName: "half", web: {} }), 501, "NotImplemented");
    expect((await graph("GET", `/v1.0/applications/${app.id}`)).body).toEqual(current);

    // addKey and removeKey stay unimplemented.
    expectGraphError(await graph("POST", `/v1.0/applications/${app.id}/addKey`, {}), 501, "NotImplemented");
    expectGraphError(await graph("POST", `/v1.0/applications/${app.id}/removeKey`, {}), 501, "NotImplemented");
  });

  it("needs directory rights, an existing application, and leaves managed identities locked", async () => {
    const app = await createApplication("guarded");
    const certificate = await makeCertificate("guarded");
    const secret = (await graph("POST", `/v1.0/applications/${app.id}/addPassword`, {})).body.secretText;
    const e = emulator.endpoints;
    const appToken = (
      await new ClientSecretCredential(e.tenantId, app.appId, secret, { authorityHost: e.login, disableInstanceDiscovery: true }).getToken(GRAPH_SCOPE)
    ).token;
    const denied = await graph("PATCH", `/v1.0/applications/${app.id}`, { keyCredentials: [uploaded(certificate)] }, appToken);
    expectGraphError(denied, 403, "Authorization_RequestDenied");
    expect((await graph("GET", `/v1.0/applications/${app.id}`, undefined, appToken)).body.keyCredentials).toEqual([]);

    expectGraphError(await graph("PATCH", `/v1.0/applications/${randomUUID()}`, { displayName: "x" }), 404, "Request_ResourceNotFound");
    expectGraphError(await graph("PATCH", "/v1.0/applications/not-a-guid", { displayName: "x" }), 400, "Request_BadRequest");
    expectGraphError(await graph("PATCH", `/v1.0/applications/${app.id}`, "not an object"), 400, "BadRequest");

    // A managed identity's principal has no application to PATCH, and its own keys stay Resource Manager's.
    await emulator.createResourceGroup("cert-rg");
    const identity = await emulator.arm("PUT", `${emulator.subscriptionPath}/resourceGroups/cert-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cert-identity?api-version=${MSI_API}`, {
      location: "westus",
    });
    expect(identity.status, JSON.stringify(identity.body)).toBe(201);
    const principalId = identity.body.properties.principalId;
    expectGraphError(await graph("PATCH", `/v1.0/applications/${principalId}`, { keyCredentials: [uploaded(certificate)] }), 404, "Request_ResourceNotFound");
    const locked = await graph("PATCH", `/v1.0/servicePrincipals/${principalId}`, { keyCredentials: [uploaded(certificate)] });
    expectGraphError(locked, 400, "Request_BadRequest");
    expect(locked.body.error.message).toContain("is a managed identity");
    expect((await graph("GET", `/v1.0/servicePrincipals/${principalId}`)).body.keyCredentials).toHaveLength(1);
  });
});
