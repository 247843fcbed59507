// Resource Manager's cloud metadata: the anonymous document `az cloud register` and the SDKs'
// cloud discovery read, in the shape each api-version's reader expects (the keys below are the
// ones az reads), reachable as {arm}/metadata/endpoints and as az ≤ 2.72's {arm}//metadata/endpoints.
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator } from "../support/emulator.ts";

const emulator = TestEmulator.shared();
beforeAll(() => emulator.start());
afterAll(() => emulator.dispose());

const ARRAY_VERSIONS = ["2019-05-01", "2019-10-01", "2020-06-01"];

/**
 * A GET with the path sent exactly as given: fetch and URL would collapse or mis-parse `//metadata`
 * (as a protocol-relative reference). The test CA is trusted through NODE_EXTRA_CA_CERTS.
 */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  const arm = new URL(emulator.endpoints.arm);
  return new Promise((resolve, reject) => {
    const req = request({ host: arm.hostname, port: arm.port, path, method: "GET", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => {
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* keep text */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

async function metadata(apiVersion?: string, headers: Record<string, string> = {}) {
  const query = apiVersion ? `?api-version=${apiVersion}` : "";
  return rawGet(`/metadata/endpoints${query}`, headers);
}

/** What every shape carries, as az reads it. */
function expectCloud(cloud: any) {
  const e = emulator.endpoints;
  const vaultPort = new URL(e.keyVault!).port;
  expect(cloud.name).toBe("ManagedIdentityEmulator");
  expect(cloud.resourceManager).toBe(`${e.arm}/`);
  // Only suffixes the emulator serves: {vault}.vault.localhost and {account}.blob.localhost.
  expect(cloud.suffixes).toEqual({ keyVaultDns: `vault.localhost:${vaultPort}`, storage: `localhost:${new URL(e.storage!).port}` });
  expect(cloud.authentication.loginEndpoint).toBe(`${e.login}/`);
  expect(cloud.authentication.audiences[0]).toBe("https://management.core.windows.net/");
  expect(cloud.authentication.audiences).toEqual(["https://management.core.windows.net/", "https://management.azure.com/"]);
  expect(cloud.graphAudience).toBe(`${e.graph}/`);
  expect(cloud.microsoftGraphResourceId).toBe(`${e.graph}/`);
  expect(cloud.graph).toBe(`${e.graph}/`);
  expect(cloud.graphEndpoint).toBe(`${e.graph}/`);
  expect(cloud.galleryEndpoint).toBe(`${e.arm}/`);
  expect(cloud.portalEndpoint).toBe(`${e.arm}/`);
}

describe("shapes by api-version", () => {
  it("2022-09-01 (az ≥ 2.73): one object with name, suffixes, graphAudience and microsoftGraphResourceId", async () => {
    const r = await metadata("2022-09-01");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    expect(Array.isArray(r.body)).toBe(false);
    expectCloud(r.body);
  });

  it("2015-01-01 (az ≤ 2.72, msrestazure): graphEndpoint, galleryEndpoint and authentication", async () => {
    const r = await metadata("2015-01-01");
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(false);
    expectCloud(r.body);
  });

  it("no api-version: the same merged object", async () => {
    const r = await metadata();
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(false);
    expectCloud(r.body);
  });

  for (const version of ARRAY_VERSIONS) {
    it(`${version}: an array holding the one cloud`, async () => {
      const r = await metadata(version);
      expect(r.status).toBe(200);
      expect(Array.isArray(r.body)).toBe(true);
      expect(r.body).toHaveLength(1);
      expectCloud(r.body[0]);
    });
  }
});

describe("anonymous", () => {
  it("needs no Authorization header", async () => {
    const r = await fetch(`${emulator.endpoints.arm}/metadata/endpoints?api-version=2022-09-01`);
    expect(r.status).toBe(200);
    expect(r.headers.get("www-authenticate")).toBeNull();
    expectCloud(await r.json());
  });

  it("ignores a bad bearer token rather than answering 401", async () => {
    for (const authorization of ["Bearer not-a-jwt", "Basic abc", "Bearer"]) {
      const r = await metadata("2022-09-01", { authorization });
      expect(r.status, authorization).toBe(200);
      expectCloud(r.body);
    }
  });

  it("only GET is anonymous: another method on the path is an ordinary Resource Manager call", async () => {
    const r = await fetch(`${emulator.endpoints.arm}/metadata/endpoints?api-version=2022-09-01`, { method: "POST" });
    expect(r.status).toBe(401);
    expect((await r.json()).error.code).toBe("AuthenticationFailed");
  });

  it("the rest of Resource Manager still demands a token", async () => {
    const r = await emulator.arm("GET", `${emulator.subscriptionPath}?api-version=2022-12-01`, undefined, null);
    expect(r.status).toBe(401);
  });
});

describe("{arm}//metadata/endpoints (az ≤ 2.72 joins the endpoint's trailing slash with its own)", () => {
  it("answers the same document, in every shape", async () => {
    const single = await rawGet("//metadata/endpoints?api-version=2015-01-01");
    expect(single.status).toBe(200);
    expectCloud(single.body);
    const modern = await rawGet("//metadata/endpoints?api-version=2022-09-01");
    expect(modern.status).toBe(200);
    expectCloud(modern.body);
    const array = await rawGet("//metadata/endpoints?api-version=2019-05-01");
    expect(array.status).toBe(200);
    expect(array.body).toHaveLength(1);
    expectCloud(array.body[0]);
  });

  it("is anonymous too: a bad bearer token is ignored", async () => {
    const r = await rawGet("//metadata/endpoints?api-version=2022-09-01", { authorization: "Bearer garbage" });
    expect(r.status).toBe(200);
    expectCloud(r.body);
  });
});
