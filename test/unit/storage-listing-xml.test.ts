// List Blobs: the delimiter collapse over an ordered range (what the account object runs against
// SQLite), markers, and the XML the SDKs parse (<Blobs> always present, etags unquoted); the
// block list body; the error body.
import { describe, expect, it } from "vitest";
import { StorageErrors, storageErrorBody, StorageError } from "../../shared/errors/storage";
import { collectListing, decodeMarker, encodeMarker, prefixUpperBound } from "../../workers/storage/src/listing";
import type { BlobListEntry, BlobRecord } from "../../workers/storage/src/model";
import { listBlobsXml, listContainersXml, parseBlockList } from "../../workers/storage/src/xml";

const NAMES = ["a.txt", "dir/a.txt", "dir/b.txt", "dir/sub/c.txt", "dir/sub/d.txt", "dir/z/e.txt", "dirx", "e.txt"].sort();

/** The account object's range query, over an array. */
function fetchFrom(names: string[]) {
  return (cursor: string, limit: number) => names.filter((n) => n >= cursor).slice(0, limit).map((name) => ({ name }));
}

function page(prefix: string, delimiter: string | null, marker: string, max: number) {
  const upper = prefixUpperBound(prefix);
  const inRange = NAMES.filter((n) => n.startsWith(prefix) && (upper === null || n < upper));
  const result = collectListing(fetchFrom(inRange), prefix, delimiter, decodeMarker(marker)!, max);
  return { names: result.items.map((e) => (e.kind === "prefix" ? `[${e.name}]` : e.row.name)), next: result.next };
}

describe("listing", () => {
  it("collapses names below the delimiter into one prefix each", () => {
    expect(page("", "/", "", 5000)).toEqual({ names: ["a.txt", "[dir/]", "dirx", "e.txt"], next: "" });
    expect(page("dir/", "/", "", 5000)).toEqual({ names: ["dir/a.txt", "dir/b.txt", "[dir/sub/]", "[dir/z/]"], next: "" });
    expect(page("dir/", null, "", 5000).names).toEqual(["dir/a.txt", "dir/b.txt", "dir/sub/c.txt", "dir/sub/d.txt", "dir/z/e.txt"]);
  });

  it("pages with maxresults (a prefix counts as one) and resumes at the marker", () => {
    const first = page("dir/", "/", "", 3);
    expect(first.names).toEqual(["dir/a.txt", "dir/b.txt", "[dir/sub/]"]);
    expect(first.next).not.toBe("");
    expect(page("dir/", "/", first.next, 3)).toEqual({ names: ["[dir/z/]"], next: "" });
    const all: string[] = [];
    let marker = "";
    do {
      const p = page("", null, marker, 2);
      all.push(...p.names);
      marker = p.next;
    } while (marker);
    expect(all).toEqual(NAMES);
  });

  it("markers are opaque and round-trip any name; foreign markers are refused", () => {
    for (const name of ["", "dir/a b.txt", "ü/😀"]) expect(decodeMarker(encodeMarker(name))).toBe(name);
    expect(decodeMarker("2!abc")).toBeNull();
  });

  it("bounds a prefix range from above", () => {
    expect(prefixUpperBound("dir/")).toBe("dir0");
    expect(prefixUpperBound("")).toBeNull();
  });
});

const blob = (name: string): BlobRecord => ({
  container: "c1",
  name,
  etag: "0x8DC0000000000001",
  createdMs: Date.parse("2024-01-01T00:00:00Z"),
  lastModifiedMs: Date.parse("2024-01-01T00:00:00Z"),
  size: 5,
  contentType: "text/plain",
  contentEncoding: null,
  contentLanguage: null,
  contentMd5: null,
  cacheControl: null,
  contentDisposition: null,
  metadata: { color: "blue" },
  objectKey: "acct1/blob/x",
});

describe("List Blobs XML", () => {
  it("has the reference's shape with a delimiter: Blob and BlobPrefix entries, etag unquoted", () => {
    const entries: BlobListEntry[] = [{ kind: "blob", blob: blob("dir/a.txt") }, { kind: "prefix", name: "dir/sub/" }];
    const xml = listBlobsXml("https://127.0.0.1:8448/acct1/", "c1", { prefix: "dir/", marker: null, maxResults: 5000, delimiter: "/", includeMetadata: true }, entries, "");
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?><EnumerationResults ServiceEndpoint="https:\/\/127.0.0.1:8448\/acct1\/" ContainerName="c1">/);
    expect(xml).toContain("<Prefix>dir/</Prefix><MaxResults>5000</MaxResults><Delimiter>/</Delimiter><Blobs><Blob><Name>dir/a.txt</Name><Properties>");
    expect(xml).toContain("<Creation-Time>Mon, 01 Jan 2024 00:00:00 GMT</Creation-Time><Last-Modified>Mon, 01 Jan 2024 00:00:00 GMT</Last-Modified><Etag>0x8DC0000000000001</Etag><Content-Length>5</Content-Length><Content-Type>text/plain</Content-Type>");
    expect(xml).toContain("<BlobType>BlockBlob</BlobType>");
    expect(xml).toContain("<Metadata><color>blue</color></Metadata></Blob><BlobPrefix><Name>dir/sub/</Name></BlobPrefix></Blobs><NextMarker /></EnumerationResults>");
  });

  it("always has <Blobs>, even empty, and escapes names", () => {
    const empty = listBlobsXml("https://h/acct1/", "c1", { prefix: null, marker: null, maxResults: null, includeMetadata: false }, [], "");
    expect(empty).toContain("<Blobs /><NextMarker /></EnumerationResults>");
    const escaped = listBlobsXml("https://h/acct1/", "c1", { prefix: null, marker: null, maxResults: null, includeMetadata: false }, [{ kind: "blob", blob: blob("a<&>b") }], "1!x");
    expect(escaped).toContain("<Name>a&lt;&amp;&gt;b</Name>");
    expect(escaped).toContain("<NextMarker>1!x</NextMarker>");
  });

  it("List Containers always has <Containers>", () => {
    expect(listContainersXml("https://h/acct1/", { prefix: null, marker: null, maxResults: null, includeMetadata: false }, [], "")).toContain("<Containers /><NextMarker />");
  });
});

describe("Put Block List body", () => {
  it("reads the JS SDK's body and the other entry kinds, in order", () => {
    const body = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><BlockList><Latest>YQ==</Latest><Latest>Yg==</Latest></BlockList>';
    expect(parseBlockList(body)).toEqual([{ kind: "Latest", id: "YQ==" }, { kind: "Latest", id: "Yg==" }]);
    expect(parseBlockList("<BlockList>\n <Committed>YQ==</Committed>\n <Uncommitted>Yg==</Uncommitted>\n</BlockList>")).toEqual([
      { kind: "Committed", id: "YQ==" },
      { kind: "Uncommitted", id: "Yg==" },
    ]);
    expect(parseBlockList("<BlockList />")).toEqual([]);
  });

  it("refuses anything else with 400 InvalidXmlDocument", () => {
    for (const bad of ["", "<BlockList><Other>YQ==</Other></BlockList>", "<BlockList><Latest>YQ==</Latest>", "not xml"]) {
      expect(() => parseBlockList(bad)).toThrowError(StorageError);
    }
  });
});

describe("error body", () => {
  it("puts RequestId and Time in the message and extra details after it", () => {
    const body = storageErrorBody(StorageErrors.invalidToken("Audience validation failed. Audience did not match."), "rid-1", new Date("2024-01-01T00:00:00.123Z"));
    expect(body).toBe(
      '<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidAuthenticationInfo</Code><Message>Server failed to authenticate the request. Please refer to the information in the www-authenticate header.\nRequestId:rid-1\nTime:2024-01-01T00:00:00.1230000Z</Message><AuthenticationErrorDetail>Audience validation failed. Audience did not match.</AuthenticationErrorDetail></Error>',
    );
  });
});
