// Hundreds of malformed requests at all five services, on raw sockets (so nothing is tidied up by
// an HTTP client on the way): broken framing, oversized bodies (declared and streamed), deep JSON,
// wrong content types, bytes that are not UTF-8, odd methods, garbage paths and query strings,
// bad tokens. Every one must get an answer below 500 with a JSON body (HEAD and 204 aside), and
// none may change anything: resource groups, resources, role assignments, the directory's
// service principals and the vault's secrets are the same before and after.
// test/e2e/request-limits.test.ts checks each limit and validation on its own.
import { generateKeyPair, SignJWT } from "jose";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARM_API, TestEmulator } from "../support/emulator.ts";
import { head, rawRequest, type RawResponse } from "../support/raw-http.ts";

const emulator = new TestEmulator();
const RG = "fuzz-rg";
const VM = "fuzz-vm";
const VAULT = `kv-fuzz-${randomUUID().slice(0, 8)}`;
const MB = 1024 * 1024;

type Service = "arm" | "aad" | "graph" | "keyvault" | "imds";
interface Case {
  service: Service;
  label: string;
  data: Buffer;
  head?: boolean;
  stream?: { chunk: Buffer; count: number; chunked: boolean };
}
interface Target {
  service: Service;
  base: string;
  host: string;
  /** A path the service serves for reading (GET), and one that writes (with a JSON body). */
  read: string;
  write: { method: string; path: string; body: string };
  /** The credential header a well-formed request carries. */
  auth: [string, string][];
}

let targets: Target[];
let armToken: string;
let graphToken: string;
let vaultToken: string;
let imdsBase: string;
let forged: Record<string, string>;

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be found again. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bytes = (...parts: (string | Buffer)[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : p)));
const utf8 = (s: string) => Buffer.from(s, "utf8");

function request(t: Target, method: string, path: string, headers: [string, string][], body?: Buffer | string): Buffer {
  const payload = body === undefined ? undefined : typeof body === "string" ? utf8(body) : body;
  const all: [string, string][] = [["Host", t.host], ...headers, ...(payload ? ([["Content-Length", String(payload.length)]] as [string, string][]) : [])];
  return bytes(head(`${method} ${path} HTTP/1.1`, all), payload ?? Buffer.alloc(0));
}

function framingCases(t: Target): Case[] {
  const p = t.read;
  const h = t.host;
  const w = t.write.path;
  const list: [string, string | Buffer][] = [
    ["not HTTP", "GARBAGE\r\n\r\n"],
    ["method only", "GET\r\n\r\n"],
    ["HTTP/0.9", `GET ${p}\r\n\r\n`],
    ["HTTP/9.9", `GET ${p} HTTP/9.9\r\nHost: ${h}\r\n\r\n`],
    ["two spaces", `GET  ${p} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
    ["lower-case method", `get ${p} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
    ["NUL in target", `GET /a\x00b HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
    ["space in target", `GET /a b HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
    ["header without colon", `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nNoColon\r\n\r\n`],
    ["header name with space", `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nBad Name: x\r\n\r\n`],
    ["control character in value", `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nX-A: a\x01b\r\n\r\n`],
    ["bare CR in value", `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nX-A: a\rb\r\n\r\n`],
    ["obsolete line folding", `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nX-A: a\r\n b\r\n\r\n`],
    ["bare LF lines", `GET ${p} HTTP/1.1\nHost: ${h}\n\n`],
    ["20 KB header", `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`],
    ["300 headers", `GET ${p} HTTP/1.1\r\nHost: ${h}\r\n${Array.from({ length: 300 }, (_, i) => `X-H${i}: ${"v".repeat(60)}`).join("\r\n")}\r\n\r\n`],
    ["20 KB target", `GET /${"x".repeat(20_000)} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
    ["Content-Length and Transfer-Encoding", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
    ["two Content-Lengths", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\n{}{}`],
    ["Content-Length not a number", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: abc\r\n\r\n{}`],
    ["negative Content-Length", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: -1\r\n\r\n{}`],
    ["Content-Length beyond 64 bits", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 99999999999999999999999\r\n\r\n{}`],
    ["Transfer-Encoding gzip", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: gzip\r\n\r\n{}`],
    ["chunk size not hex", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
    ["chunk size overflow", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n`],
    ["chunk without CRLF", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n`],
    ["chunk extension control character", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\n2;\x01\r\n{}\r\n0\r\n\r\n`],
    ["broken trailer", `POST ${w} HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nBad Trailer\r\n\r\n`],
    ["HTTP/1.1 without Host", `GET ${p} HTTP/1.1\r\n\r\n`],
    ["HTTP/1.0 without Host", `GET ${p} HTTP/1.0\r\n\r\n`],
    ["absolute-form target", `GET http://elsewhere.example${p} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
    ["non-HTTP absolute target", `GET ftp://elsewhere.example/ HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
    ["asterisk target", `OPTIONS * HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
    ["CONNECT", `CONNECT elsewhere.example:443 HTTP/1.1\r\nHost: elsewhere.example:443\r\n\r\n`],
    ["websocket upgrade", `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`],
    ["h2c upgrade", `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n`],
    ["HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
    ["Expect: something", `GET ${p} HTTP/1.1\r\nHost: ${h}\r\nExpect: the-unexpected\r\n\r\n`],
    // Empty lines before a request line are allowed (RFC 9112 §2.2): the request after them is answered.
    ["blank lines, then garbage", "\r\n\r\n\r\nGARBAGE\r\n\r\n"],
    ["TLS hello on the wrong layer", Buffer.from("160301002e010000", "hex")],
    ["random bytes", Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) % 256))],
  ];
  return list.map(([label, data]) => ({ service: t.service, label: `framing: ${label}`, data: typeof data === "string" ? bytes(data) : data }));
}

function oversizedCases(t: Target): Case[] {
  const limit = { arm: 4 * MB, aad: MB, graph: 4 * MB, keyvault: 256 * 1024, imds: 0 }[t.service];
  const { method, path } = t.write;
  const headers: [string, string][] = [["Host", t.host], ...t.auth, ["Content-Type", t.service === "aad" ? "application/x-www-form-urlencoded" : "application/json"]];
  const chunk = Buffer.alloc(64 * 1024, " ");
  return [
    { service: t.service, label: "oversized: 200 MB declared", data: bytes(head(`${method} ${path} HTTP/1.1`, [...headers, ["Content-Length", String(200 * MB)]]), "{") },
    { service: t.service, label: "oversized: 2^53 declared", data: bytes(head(`${method} ${path} HTTP/1.1`, [...headers, ["Content-Length", "9007199254740993"]]), "{") },
    { service: t.service, label: "oversized: limit + 1 declared", data: bytes(head(`${method} ${path} HTTP/1.1`, [...headers, ["Content-Length", String(limit + 1)]]), "{") },
    {
      service: t.service,
      label: "oversized: chunked past the limit",
      data: bytes(head(`${method} ${path} HTTP/1.1`, [...headers, ["Transfer-Encoding", "chunked"]])),
      stream: { chunk, count: Math.ceil((limit + MB) / chunk.length), chunked: true },
    },
  ];
}

function deepCases(t: Target): Case[] {
  const deepArrays = "[".repeat(10_000) + "]".repeat(10_000);
  const deepObjects = '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000);
  const unclosed = "[".repeat(100_000);
  const mixed = '[{"a":'.repeat(5_000) + "null" + "}]".repeat(5_000);
  const shapes: [string, string][] = [
    ["10,000 arrays", deepArrays],
    ["10,000 objects", deepObjects],
    ["100,000 unclosed", unclosed],
    ["mixed", mixed],
  ];
  const out: Case[] = [];
  for (const [label, deep] of shapes) {
    if (t.service === "aad") {
      out.push({ service: t.service, label: `deep JSON in a form: ${label}`, data: request(t, "POST", t.write.path, [["Content-Type", "application/x-www-form-urlencoded"]], `grant_type=client_credentials&client_id=${encodeURIComponent(deep.slice(0, 30_000))}`) });
      out.push({ service: t.service, label: `deep JSON as the body: ${label}`, data: request(t, "POST", t.write.path, [["Content-Type", "application/json"]], deep) });
    } else if (t.service === "imds") {
      out.push({ service: t.service, label: `deep JSON in the query: ${label}`, data: request(t, "GET", `${t.read}&resource=${encodeURIComponent(deep.slice(0, 4_000))}`, [["Metadata", "true"]]) });
      out.push({ service: t.service, label: `deep JSON as a body: ${label}`, data: request(t, "GET", t.read, [["Metadata", "true"], ["Content-Type", "application/json"]], deep) });
    } else {
      out.push({ service: t.service, label: `deep JSON body: ${label}`, data: request(t, t.write.method, t.write.path, [...t.auth, ["Content-Type", "application/json"]], deep) });
      const inside = t.write.body.replace(/}$/, `,"deep":${deep}}`);
      out.push({ service: t.service, label: `deep JSON inside a valid body: ${label}`, data: request(t, t.write.method, t.write.path, [...t.auth, ["Content-Type", "application/json"]], inside) });
    }
  }
  return out;
}

function contentTypeCases(t: Target): Case[] {
  const types = [
    "text/plain",
    "application/xml",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "image/png",
    "text/html; charset=utf-8",
    "application/x-www-form-urlencoded",
    "garbage",
    ";;;",
    "application/jsonp",
  ];
  const out: Case[] = [];
  for (const type of types) {
    if (t.service === "aad") {
      // A token request whose body is not a form names the first parameter it misses.
      out.push({ service: t.service, label: `content type ${type}`, data: request(t, "POST", t.write.path, [["Content-Type", type === "application/x-www-form-urlencoded" ? "application/json" : type]], t.write.body) });
    } else if (t.service === "imds") {
      out.push({ service: t.service, label: `content type ${type}`, data: request(t, "POST", t.read, [["Metadata", "true"], ["Content-Type", type]], "{}") });
    } else {
      out.push({ service: t.service, label: `content type ${type}`, data: request(t, t.write.method, t.write.path, [...t.auth, ["Content-Type", type]], t.write.body) });
    }
  }
  return out;
}

function utf8Cases(t: Target): Case[] {
  const bad = [
    Buffer.from([0xff, 0xfe, 0xfd]),
    Buffer.from([0xc0, 0xaf]), // overlong '/'
    Buffer.from([0xed, 0xa0, 0x80]), // a surrogate
    Buffer.from([0xe2, 0x82]), // truncated
    Buffer.from([0x80, 0x80, 0x80]), // lone continuations
  ];
  const out: Case[] = [];
  for (const [i, b] of bad.entries()) {
    const contentType = t.service === "aad" ? "application/x-www-form-urlencoded" : "application/json";
    const body = t.service === "aad" ? bytes("grant_type=client_credentials&client_id=", b) : bytes(t.write.body.slice(0, -1), ',"x":"', b, '"}');
    const method = t.service === "imds" ? "GET" : t.write.method;
    const path = t.service === "imds" ? t.read : t.write.path;
    out.push({ service: t.service, label: `bad UTF-8 body ${i}`, data: request(t, method, path, [...t.auth, ["Content-Type", contentType]], body) });
    out.push({ service: t.service, label: `bad UTF-8 bytes in the path ${i}`, data: request(t, "GET", bytes(t.read.split("?")[0]!, "/", b).toString("latin1"), t.auth) });
    out.push({ service: t.service, label: `bad UTF-8 percent-escaped ${i}`, data: request(t, "GET", `${t.read.split("?")[0]}/${[...b].map((x) => `%${x.toString(16)}`).join("")}?x=${[...b].map((x) => `%${x.toString(16)}`).join("")}`, t.auth) });
    out.push({ service: t.service, label: `bad UTF-8 in a header ${i}`, data: request(t, "GET", t.read, [...t.auth, ["X-Note", bytes("a", b).toString("latin1")]]) });
  }
  return out;
}

function methodCases(t: Target): Case[] {
  const safe = ["OPTIONS", "TRACE", "PROPFIND", "MKCOL", "LOCK", "UNLOCK", "SEARCH", "PURGE", "REPORT", "M-SEARCH", "SUBSCRIBE", "LINK", "ACL", "MKCALENDAR", "BIND", "SOURCE", "QUERY", "COPY", "MOVE"];
  const out: Case[] = safe.map((method) => ({ service: t.service, label: `method ${method}`, data: request(t, method, t.read, t.auth) }));
  out.push({ service: t.service, label: "method HEAD", data: request(t, "HEAD", t.read, t.auth), head: true });
  // (GET of Graph's /v1.0/applications is a documented 501, not a malformed request: an application's path instead.)
  const headPath = t.service === "graph" ? `/v1.0/applications/${randomUUID()}` : t.write.path;
  out.push({ service: t.service, label: "method HEAD on the write path", data: request(t, "HEAD", headPath, t.auth), head: true });
  // Writes with no credential at all: refused before anything is read.
  for (const method of ["PUT", "PATCH", "DELETE", "POST"]) {
    const unauthenticated = t.service === "aad" || t.service === "imds" ? [] : t.auth.map(([k]) => [k, "Bearer"] as [string, string]);
    out.push({ service: t.service, label: `${method} without a credential`, data: request(t, method, t.write.path, unauthenticated, method === "DELETE" ? undefined : "{}") });
  }
  return out;
}

function garbagePathCases(t: Target, seed: number): Case[] {
  const rnd = random(seed);
  const pick = <T,>(list: T[]) => list[Math.floor(rnd() * list.length)]!;
  const prefix = t.read.split("?")[0]!.split("/").filter(Boolean);
  const segments = ["..", ".", "%2e%2e", "%2f", "%00", "%zz", "%", "%e2%80%ae", "%ff", "~", "$metadata", "%20", "a".repeat(300), "😀", "providers", "Microsoft.Compute", "virtualMachines", "secrets", "servicePrincipals", "oauth2", "token", "metadata", "''", "(x)", ";", "*", "@", "%5c", "\\"];
  const queries = [
    "",
    "?",
    "?%",
    "?a=%zz",
    "?api-version",
    "?api-version=",
    "?api-version=%00",
    "?api-version=9999-99-99",
    "?api-version=2024-11-01&api-version=2018-02-01",
    `?${Array.from({ length: 500 }, (_, i) => `p${i}=${i}`).join("&")}`,
    "?$filter=%27",
    "?$filter=startswith(",
    "?$top=-1",
    "?$top=1e309",
    "?$skiptoken=%zz",
    "?$select=%00",
    "?resource=%00&api-version=2018-02-01",
    "?&&&==&",
    "?x=%e2%80%ae",
  ];
  const out: Case[] = [];
  for (let i = 0; i < 25; i++) {
    const kept = prefix.slice(0, Math.floor(rnd() * (prefix.length + 1)));
    const extra = Array.from({ length: Math.floor(rnd() * 4) }, () => pick(segments));
    const slashes = rnd() < 0.2 ? "//" : "/";
    const path = `/${[...kept, ...extra].join(slashes)}${pick(queries)}`;
    const encoded = Buffer.from(path, "utf8").toString("latin1");
    const isHead = rnd() < 0.15;
    const headers = t.service === "imds" ? [["Metadata", "true"] as [string, string]] : t.auth;
    out.push({ service: t.service, label: `garbage path ${path.slice(0, 80)}`, data: request(t, isHead ? "HEAD" : "GET", encoded, headers), head: isHead });
  }
  return out;
}

function tokenCases(t: Target): Case[] {
  const deepHeader = Buffer.from(`{"alg":"RS256","x":${"[".repeat(10_000)}${"]".repeat(10_000)}}`).toString("base64url");
  const payload = Buffer.from('{"aud":"x"}').toString("base64url");
  const bad: [string, string][] = [
    ["empty Bearer", "Bearer"],
    ["Bearer and spaces", "Bearer    "],
    ["not a JWT", "Bearer not-a-token"],
    ["three dots", "Bearer a.b.c"],
    ["five parts", "Bearer a.b.c.d.e"],
    ["alg none", `Bearer ${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload}.`],
    ["deep JSON header", `Bearer ${deepHeader}.${payload}.sig`],
    ["header not JSON", `Bearer ${Buffer.from("[[[").toString("base64url")}.${payload}.sig`],
    ["signed by another key", `Bearer ${forged[t.service]}`],
    ["12 KB token", `Bearer ${"A".repeat(12_000)}.${"B".repeat(100)}.C`],
    ["Basic", "Basic dXNlcjpwYXNz"],
    ["lower-case scheme", "bearer x.y.z"],
    ["non-ASCII bytes", Buffer.from("Bearer \u00ff\u00fe.x.y", "latin1").toString("latin1")],
  ];
  const out: Case[] = [];
  if (t.service === "imds") {
    const variants: [string, [string, string][]][] = [
      ["no Metadata header", []],
      ["Metadata: false", [["Metadata", "false"]]],
      ["Metadata twice", [["Metadata", "true"], ["Metadata", "true"]]],
      ["X-Forwarded-For", [["Metadata", "true"], ["X-Forwarded-For", "10.0.0.1"]]],
      ["Metadata with a NUL escape", [["Metadata", "true\\0"]]],
    ];
    for (const [label, headers] of variants) out.push({ service: t.service, label: `IMDS ${label}`, data: request(t, "GET", t.read, headers) });
    for (const key of ["0".repeat(40), "z".repeat(40), "%00", "a".repeat(4000)]) {
      out.push({ service: t.service, label: `IMDS endpoint key ${key.slice(0, 10)}`, data: request(t, "GET", `/vms/${key}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`, [["Metadata", "true"]]) });
    }
    for (const query of ["api-version=2018-02-01", "resource=x", "api-version=2018-02-01&resource=https://vault.azure.net&client_id=%00", "api-version=2018-02-01&resource=https://vault.azure.net&client_id=a&object_id=b"]) {
      out.push({ service: t.service, label: `IMDS query ${query}`, data: request(t, "GET", `${imdsBase.replace(/^https?:\/\/[^/]+/, "")}/metadata/identity/oauth2/token?${query}`, [["Metadata", "true"]]) });
    }
    return out;
  }
  if (t.service === "aad") {
    const form = (fields: string) => request(t, "POST", t.write.path, [["Content-Type", "application/x-www-form-urlencoded"]], fields);
    const admin = emulator.endpoints.admin.clientId;
    const assertion = "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=";
    const scope = "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default";
    for (const [label, value] of bad) {
      const raw = value.replace(/^(Bearer|Basic|bearer)\s*/, "");
      out.push({ service: t.service, label: `assertion: ${label}`, data: form(`grant_type=client_credentials&client_id=${admin}${scope}${assertion}${encodeURIComponent(raw)}`) });
    }
    out.push({ service: t.service, label: "wrong secret", data: form(`grant_type=client_credentials&client_id=${admin}${scope}&client_secret=wrong`) });
    out.push({ service: t.service, label: "Basic credentials garbage", data: request(t, "POST", t.write.path, [["Content-Type", "application/x-www-form-urlencoded"], ["Authorization", "Basic %%%"]], `grant_type=client_credentials${scope}`) });
    out.push({ service: t.service, label: "client id not a GUID", data: form(`grant_type=client_credentials&client_id=%00%ff${scope}&client_secret=x`) });
    out.push({ service: t.service, label: "unknown grant", data: form("grant_type=password&username=a&password=b") });
    out.push({ service: t.service, label: "parameters repeated", data: form(`grant_type=client_credentials&grant_type=client_credentials&client_id=${admin}&client_id=x${scope}&client_secret=x`) });
    out.push({ service: t.service, label: "unknown tenant", data: request(t, "POST", "/%00/oauth2/v2.0/token", [["Content-Type", "application/x-www-form-urlencoded"]], "grant_type=client_credentials") });
    return out;
  }
  for (const [label, value] of bad) {
    out.push({ service: t.service, label: `token: ${label} (read)`, data: request(t, "GET", t.read, [["Authorization", value]]) });
    out.push({ service: t.service, label: `token: ${label} (write)`, data: request(t, t.write.method, t.write.path, [["Authorization", value], ["Content-Type", "application/json"]], t.write.body) });
  }
  out.push({ service: t.service, label: "token: two Authorization headers", data: request(t, "GET", t.read, [["Authorization", "Bearer x"], ...t.auth]) });
  return out;
}

async function snapshot() {
  const sub = emulator.subscriptionPath;
  const groups = await emulator.arm("GET", `${sub}/resourcegroups?api-version=${ARM_API}`);
  const resources = await emulator.arm("GET", `${sub}/resources?api-version=${ARM_API}`);
  const assignments = await emulator.arm("GET", `${sub}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`);
  const principals = await emulator.graph("GET", "/v1.0/servicePrincipals?$top=999", undefined, graphToken);
  const secrets = await fetch(`${vaultUrl()}secrets?api-version=7.5`, { headers: { authorization: `Bearer ${vaultToken}` } });
  for (const r of [groups, resources, assignments, principals]) expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(secrets.status).toBe(200);
  const ids = (list: { id: string }[]) => list.map((x) => x.id).sort();
  return {
    groups: ids(groups.body.value),
    resources: ids(resources.body.value),
    assignments: ids(assignments.body.value),
    principals: ids(principals.body.value),
    secrets: ids((await secrets.json()).value),
  };
}

let vaultUri = "";
const vaultUrl = () => vaultUri;

beforeAll(async () => {
  await emulator.start();
  await emulator.createResourceGroup(RG);
  await emulator.createVm(RG, VM, { type: "SystemAssigned" });
  imdsBase = await emulator.imdsEndpoint(RG, VM);
  armToken = await emulator.adminToken();
  const credential = emulator.adminCredential();
  graphToken = (await credential.getToken("https://graph.microsoft.com/.default")).token;
  vaultToken = (await credential.getToken("https://vault.azure.net/.default")).token;
  const vault = await emulator.arm("PUT", `${emulator.subscriptionPath}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${VAULT}?api-version=2024-11-01`, {
    location: "westus",
    properties: { tenantId: emulator.endpoints.tenantId, sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
  });
  expect(vault.status, JSON.stringify(vault.body)).toBe(201);
  vaultUri = vault.body.properties.vaultUri;
  const grant = await emulator.arm("PUT", `${vault.body.id}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
    properties: {
      roleDefinitionId: `${emulator.subscriptionPath}/providers/Microsoft.Authorization/roleDefinitions/00482a5a-887f-4fb3-b363-3b7fe8e74483`,
      principalId: emulator.endpoints.admin.objectId,
      principalType: "ServicePrincipal",
    },
  });
  expect(grant.status).toBe(201);
  const existing = await fetch(`${vaultUri}secrets/existing?api-version=7.5`, {
    method: "PUT",
    headers: { authorization: `Bearer ${vaultToken}`, "content-type": "application/json" },
    body: JSON.stringify({ value: "kept" }),
  });
  expect(existing.status).toBe(200);

  // Tokens that look right but are signed by a key the authority never had.
  const { privateKey } = await generateKeyPair("RS256");
  const forge = (aud: string) =>
    new SignJWT({ oid: emulator.endpoints.admin.objectId, appid: emulator.endpoints.admin.clientId, tid: emulator.endpoints.tenantId })
      .setProtectedHeader({ alg: "RS256", kid: "forged", x5t: "forged" })
      .setIssuer(`https://sts.windows.net/${emulator.endpoints.tenantId}/`)
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
  forged = {
    arm: await forge("https://management.azure.com/"),
    graph: await forge("https://graph.microsoft.com"),
    keyvault: await forge("https://vault.azure.net"),
    aad: await forge(`${emulator.endpoints.login}/${emulator.endpoints.tenantId}/oauth2/v2.0/token`),
    imds: "",
  };

  const e = emulator.endpoints;
  const sub = emulator.subscriptionPath;
  const vaultPath = new URL(vaultUri).pathname;
  const imdsPath = new URL(imdsBase).pathname;
  targets = [
    {
      service: "arm",
      base: e.arm,
      host: new URL(e.arm).host,
      read: `${sub}/resourcegroups?api-version=${ARM_API}`,
      write: { method: "PUT", path: `${sub}/resourcegroups/fuzz-new-rg?api-version=${ARM_API}`, body: '{"location":"westus"}' },
      auth: [["Authorization", `Bearer ${armToken}`]],
    },
    {
      service: "aad",
      base: e.login,
      host: new URL(e.login).host,
      read: `/${e.tenantId}/v2.0/.well-known/openid-configuration`,
      write: {
        method: "POST",
        path: `/${e.tenantId}/oauth2/v2.0/token`,
        body: `grant_type=client_credentials&client_id=${e.admin.clientId}&scope=https%3A%2F%2Fmanagement.azure.com%2F.default&client_secret=wrong-secret`,
      },
      auth: [],
    },
    {
      service: "graph",
      base: e.graph,
      host: new URL(e.graph).host,
      read: "/v1.0/servicePrincipals?$top=5",
      write: { method: "POST", path: "/v1.0/applications", body: '{"displayName":"fuzz-app"}' },
      auth: [["Authorization", `Bearer ${graphToken}`]],
    },
    {
      service: "keyvault",
      base: e.keyVault!,
      host: new URL(e.keyVault!).host,
      read: `${vaultPath}secrets?api-version=7.5`,
      write: { method: "PUT", path: `${vaultPath}secrets/fuzz-new?api-version=7.5`, body: '{"value":"fuzz"}' },
      auth: [["Authorization", `Bearer ${vaultToken}`]],
    },
    {
      service: "imds",
      base: e.imds,
      host: new URL(e.imds).host,
      read: `${imdsPath}/metadata/identity/oauth2/token?api-version=2018-02-01`,
      write: { method: "POST", path: `${imdsPath}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`, body: "{}" },
      auth: [["Metadata", "true"]],
    },
  ];
});
afterAll(() => emulator.dispose());

function problem(c: Case, r: RawResponse): string | null {
  if (r.status === 0) return `no answer (${r.ended})`;
  if (r.status >= 500) return `status ${r.status}: ${r.body.slice(0, 300)}`;
  if (r.ended === "truncated") return "a truncated answer";
  if (c.head || r.status === 204 || r.status === 304) return null;
  if (!/^application\/json/i.test(r.headers["content-type"] ?? "")) return `status ${r.status}, content type '${r.headers["content-type"]}': ${r.body.slice(0, 200)}`;
  try {
    JSON.parse(r.body);
  } catch {
    return `status ${r.status}, body not JSON: ${r.body.slice(0, 200)}`;
  }
  return null;
}

describe("fuzz: malformed requests at every service", () => {
  it("every answer is below 500 and JSON, and nothing changes", async () => {
    const before = await snapshot();
    const cases = targets.flatMap((t, i) => [
      ...framingCases(t),
      ...oversizedCases(t),
      ...deepCases(t),
      ...contentTypeCases(t),
      ...utf8Cases(t),
      ...methodCases(t),
      ...garbagePathCases(t, 1000 + i),
      ...tokenCases(t),
    ]);
    expect(cases.length).toBeGreaterThanOrEqual(500);
    const base = Object.fromEntries(targets.map((t) => [t.service, t.base]));
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const r = await rawRequest(base[c.service]!, { data: c.data, head: c.head, stream: c.stream, timeoutMs: 30_000 });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const p = problem(c, r);
        if (p) failures.push(`${c.service} · ${c.label}: ${p}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    console.log(`fuzz: ${cases.length} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(failures, failures.join("\n")).toEqual([]);
    expect(await snapshot()).toEqual(before);
  }, 300_000);
});
