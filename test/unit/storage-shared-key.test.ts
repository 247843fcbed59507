// Shared Key: the string-to-sign and signature of the reference's worked example (captured from
// @azure/storage-blob 12.32 and checked with openssl), the query canonicalization example, the
// client variants the verifier accepts, and the service's header order.
import { describe, expect, it } from "vitest";
import { StorageError } from "../../shared/errors/storage";
import {
  candidateStringsToSign,
  canonicalizedResource,
  compareCulture,
  parseSharedKey,
  sign,
  stringToSign,
  verifySharedKey,
  type SignedRequest,
} from "../../workers/storage/src/shared-key";
import { compareHeader as sdkCompareHeader } from "../../node_modules/@azure/storage-common/dist/esm/utils/SharedKeyComparator.js";

const KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg==";
const OTHER_KEY = btoa("x".repeat(64));

function request(method: string, pathAndQuery: string, headers: Record<string, string>): SignedRequest {
  const h = new Headers(headers);
  const q = pathAndQuery.indexOf("?");
  return {
    method,
    header: (name) => h.get(name),
    headers: h,
    path: q < 0 ? pathAndQuery : pathAndQuery.slice(0, q),
    search: q < 0 ? "" : pathAndQuery.slice(q + 1),
  };
}

const upload = () =>
  request("PUT", "/acct1/c1/dir/a%20b.txt", {
    "content-type": "application/octet-stream",
    "content-length": "5",
    "x-ms-blob-type": "BlockBlob",
    "x-ms-blob-content-type": "text/plain",
    "x-ms-version": "2026-04-06",
    "x-ms-client-request-id": "3b289b15-bb87-49ff-8d24-8c8f52d10c5a",
    "x-ms-date": "Wed, 02 Dec 2026 01:34:47 GMT",
  });

const EXPECTED_STRING_TO_SIGN =
  "PUT\n\n\n5\n\napplication/octet-stream\n\n\n\n\n\n\n" +
  "x-ms-blob-content-type:text/plain\nx-ms-blob-type:BlockBlob\nx-ms-client-request-id:3b289b15-bb87-49ff-8d24-8c8f52d10c5a\n" +
  "x-ms-date:Wed, 02 Dec 2026 01:34:47 GMT\nx-ms-version:2026-04-06\n/acct1/acct1/c1/dir/a%20b.txt";
const EXPECTED_SIGNATURE = "X0Vb+8T6mQcvh2Y0jKmXaeklKwPRZnBsJT8KfGczkUg=";

describe("Shared Key string-to-sign", () => {
  it("matches the worked example of the reference (path style signs /{account}/{account}/…)", async () => {
    expect(stringToSign("acct1", upload())).toBe(EXPECTED_STRING_TO_SIGN);
    expect(await sign(KEY, EXPECTED_STRING_TO_SIGN)).toBe(EXPECTED_SIGNATURE);
  });

  it("verifies the SDK's signature with key1 or key2, and refuses any other", async () => {
    await expect(verifySharedKey("acct1", "acct1", EXPECTED_SIGNATURE, [KEY, OTHER_KEY], upload())).resolves.toBeUndefined();
    await expect(verifySharedKey("acct1", "acct1", EXPECTED_SIGNATURE, [OTHER_KEY, KEY], upload())).resolves.toBeUndefined();
    const refused = await verifySharedKey("acct1", "acct1", EXPECTED_SIGNATURE, [OTHER_KEY], upload()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StorageError);
    expect((refused as StorageError).status).toBe(403);
    expect((refused as StorageError).code).toBe("AuthenticationFailed");
    expect((refused as StorageError).details.AuthenticationErrorDetail).toBe(
      `The MAC signature found in the HTTP request '${EXPECTED_SIGNATURE}' is not the same as any computed signature. Server used following string to sign: '${EXPECTED_STRING_TO_SIGN}'.`,
    );
    // A signature made for another account name never verifies.
    await expect(verifySharedKey("acct1", "acct2", EXPECTED_SIGNATURE, [KEY], upload())).rejects.toBeInstanceOf(StorageError);
  });

  it("canonicalizes the query as the reference's example: names lower-cased and sorted, values decoded", () => {
    const r = request("GET", "/acct1/c1?comp=list&prefix=dir%2F&restype=container&delimiter=%2F", {});
    expect(canonicalizedResource("acct1", r)).toBe("/acct1/acct1/c1\ncomp:list\ndelimiter:/\nprefix:dir/\nrestype:container");
  });

  it("keeps empty query values (Python) or drops them (JS SDK), and accepts both", async () => {
    const r = request("GET", "/acct1/c1?restype=container&comp=list&prefix=", { "x-ms-date": "Wed, 02 Dec 2026 01:34:47 GMT" });
    expect(canonicalizedResource("acct1", r)).toBe("/acct1/acct1/c1\ncomp:list\nprefix:\nrestype:container");
    expect(canonicalizedResource("acct1", r, true)).toBe("/acct1/acct1/c1\ncomp:list\nrestype:container");
    const jsStyle = stringToSign("acct1", r, { dropEmptyQueryValues: true, languageFirst: true });
    await expect(verifySharedKey("acct1", "acct1", await sign(KEY, jsStyle), [KEY], r)).resolves.toBeUndefined();
  });

  it("accepts Content-Language before Content-Encoding (the JS SDK's order) as well as the documented order", async () => {
    const r = request("PUT", "/acct1/c1/b", { "content-encoding": "gzip", "content-language": "de", "content-length": "0", "x-ms-date": "d" });
    const documented = stringToSign("acct1", r);
    const js = stringToSign("acct1", r, { languageFirst: true });
    expect(documented.startsWith("PUT\ngzip\nde\n\n")).toBe(true); // Content-Length 0 signs as empty
    expect(js.startsWith("PUT\nde\ngzip\n")).toBe(true);
    expect(candidateStringsToSign("acct1", r)).toEqual(expect.arrayContaining([documented, js]));
    await expect(verifySharedKey("acct1", "acct1", await sign(KEY, js), [KEY], r)).resolves.toBeUndefined();
  });

  it("sorts x-ms-* headers in the service's culture order ('-' ignored first, '_' before letters), unlike an ordinal sort", () => {
    const names = ["x-ms-meta-ab", "x-ms-meta-a-c", "x-ms-meta-a_b"];
    expect([...names].sort(compareCulture)).toEqual(["x-ms-meta-a_b", "x-ms-meta-ab", "x-ms-meta-a-c"]);
    expect([...names].sort()).toEqual(["x-ms-meta-a-c", "x-ms-meta-a_b", "x-ms-meta-ab"]);
    expect(["x-ms-version", "x-ms-date", "x-ms-blob-type"].sort(compareCulture)).toEqual(["x-ms-blob-type", "x-ms-date", "x-ms-version"]);
  });

  it("orders header names exactly as the JS SDK's comparator (the service's en-US tables)", () => {
    const alphabet = "abxyz09-_'";
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const word = () => Array.from({ length: 1 + Math.floor(random() * 5) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    for (let i = 0; i < 5000; i++) {
      const a = word();
      const b = word();
      if (a !== b) expect(Math.sign(compareCulture(a, b))).toBe(Math.sign(sdkCompareHeader(a, b)));
    }
  });

  it("parses the Authorization header", () => {
    expect(parseSharedKey(`SharedKey acct1:${EXPECTED_SIGNATURE}`)).toEqual({ account: "acct1", signature: EXPECTED_SIGNATURE });
    expect(parseSharedKey("SharedKey acct1")).toBeNull();
    expect(parseSharedKey("Bearer x")).toBeNull();
  });
});
