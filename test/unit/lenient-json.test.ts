// Resource Manager's lenient body parsing, as az deployment group create relies on it.
import { describe, expect, it } from "vitest";
import { toStrictJson } from "../../workers/arm/src/lenient-json";

const parse = (text: string) => JSON.parse(toStrictJson(text)!);

describe("toStrictJson", () => {
  it("takes what az sends: a bare `template` key and the file's text with comments", () => {
    const body = `{"properties": {"parameters": {}, "mode": "Incremental", template:{
      // a comment
      "$schema": "https://schema.management.azure.com/x.json#", /* inline */ "resources": [ {"name": "a//b", "type": "T",}, ],
    }}}`;
    expect(parse(body)).toEqual({
      properties: { parameters: {}, mode: "Incremental", template: { $schema: "https://schema.management.azure.com/x.json#", resources: [{ name: "a//b", type: "T" }] } },
    });
  });

  it("keeps strings intact: escaped quotes, slashes and commas inside them", () => {
    expect(parse(`{"a": "x\\" // not a comment, }", b: [1, 2,], c: true, d: null}`)).toEqual({ a: 'x" // not a comment, }', b: [1, 2], c: true, d: null });
  });

  it("refuses what cannot be JSON: an unterminated string or comment", () => {
    expect(toStrictJson(`{"a": "open`)).toBeNull();
    expect(toStrictJson(`{"a": 1 /* open`)).toBeNull();
    expect(() => parse(`{a: NaN}`)).toThrow();
  });
});
