// Blob Storage name rules: containers, blobs, metadata names and sizes, block ids.
import { describe, expect, it } from "vitest";
import { StorageError } from "../../shared/errors/storage";
import { blockIdLength, isValidContainerName, isValidMetadataName, metadataProblem, readMetadata, requireBlobName } from "../../workers/storage/src/names";

function code(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (err) {
    return err instanceof StorageError ? `${err.status} ${err.code}` : String(err);
  }
}

describe("container names", () => {
  it("takes 3-63 of [a-z0-9-], starting and ending with a letter or digit, without '--'", () => {
    for (const ok of ["abc", "a-b", "0abc", "a".repeat(63), "my-container-1", "$root", "$web", "$logs"]) expect(isValidContainerName(ok)).toBe(true);
    for (const bad of ["ab", "a".repeat(64), "-abc", "abc-", "a--b", "Abc", "a_b", "a.b", "$other", ""]) expect(isValidContainerName(bad)).toBe(false);
  });
});

describe("blob names", () => {
  it("takes 1-1024 characters; longer is 400 OutOfRangeInput", () => {
    expect(code(() => requireBlobName("a".repeat(1024)))).toBeNull();
    expect(code(() => requireBlobName("dir/a b+c.txt"))).toBeNull();
    expect(code(() => requireBlobName("a".repeat(1025)))).toBe("400 OutOfRangeInput");
  });
});

describe("metadata", () => {
  it("names are C# identifiers", () => {
    for (const ok of ["a", "_x", "Name1", "snake_case"]) expect(isValidMetadataName(ok)).toBe(true);
    for (const bad of ["1a", "a-b", "a.b", "", "ä"]) expect(isValidMetadataName(bad)).toBe(false);
  });

  it("reads x-ms-meta-* headers, refusing bad names (400 InvalidMetadata) and more than 8 KB (400 MetadataTooLarge)", () => {
    expect(readMetadata(new Headers({ "x-ms-meta-Color": "blue", "x-ms-meta-n_1": "2", "content-type": "x" }))).toEqual({ color: "blue", n_1: "2" });
    expect(code(() => readMetadata(new Headers({ "x-ms-meta-a-b": "x" })))).toBe("400 InvalidMetadata");
    expect(code(() => readMetadata(new Headers({ "x-ms-meta-big": "v".repeat(8 * 1024) })))).toBe("400 MetadataTooLarge");
    expect(code(() => readMetadata(new Headers({ "x-ms-meta-ok": "v".repeat(8 * 1024 - 2) })))).toBeNull();
  });

  it("checks Resource Manager's metadata the same way", () => {
    expect(metadataProblem({ a: "1" })).toBeNull();
    expect(metadataProblem({ "a-b": "1" })).toMatch(/C# identifier/);
    expect(metadataProblem({ A: "1", a: "2" })).toMatch(/twice/);
  });
});

describe("block ids", () => {
  it("are base64 of at most 64 bytes", () => {
    expect(blockIdLength(btoa("a"))).toBe(1);
    expect(blockIdLength(btoa("x".repeat(64)))).toBe(64);
    expect(code(() => blockIdLength(btoa("x".repeat(65))))).toBe("400 InvalidQueryParameterValue");
    expect(code(() => blockIdLength("not base64!"))).toBe("400 InvalidQueryParameterValue");
    expect(code(() => blockIdLength("abc"))).toBe("400 InvalidQueryParameterValue");
  });
});
