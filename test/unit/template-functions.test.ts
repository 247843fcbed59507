// Template language: syntax and the semantics of each supported function (reference §6.3–6.5).
import { describe, expect, it } from "vitest";
import { deterministicGuid, uniqueString } from "../../workers/arm/src/providers/resources/template";
import { RG_ID, SCOPE, SUB, SUB_SCOPE, TENANT, value, valueError } from "./template-helpers";

describe("hashes", () => {
  it("uniqueString matches the reference vectors", async () => {
    expect(uniqueString(["test"])).toBe("rbgf3xv4ufgzg");
    expect(uniqueString(["hello", "world"])).toBe("a7wkljktk6wne");
    expect(uniqueString(["abc"])).toBe("cgtzqvhu4i23s");
    expect(uniqueString(["foo", "bar", "baz"])).toBe("xzi4ioaxtmth4");
    expect(uniqueString(["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg"])).toBe("bmg7c6xu4tw46");
    expect(await value("[uniqueString('hello', 'world')]")).toBe("a7wkljktk6wne");
    expect(await value("[uniqueString('/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg')]")).toBe("bmg7c6xu4tw46");
  });

  it("uniqueString always has 13 characters, the last one even-indexed in the alphabet", async () => {
    for (const input of ["", "a", "1234567", "12345678", "123456789", "x".repeat(100)]) {
      const s = uniqueString([input]);
      expect(s).toMatch(/^[a-z2-7]{12}[acegikmoqsuwy246]$/);
    }
    expect(await value("[uniqueString(resourceGroup().id)]")).toBe(uniqueString([RG_ID]));
  });

  it("guid is a version-5 UUID in the ARM namespace", async () => {
    expect(await deterministicGuid(["a", "b", "c"])).toBe("a98fa280-e03f-5afa-8d8e-92d0a9c201e8");
    expect(await value("[guid('a', 'b', 'c')]")).toBe("a98fa280-e03f-5afa-8d8e-92d0a9c201e8");
    expect(await value("[guid('a-b', 'c')]")).toBe("a98fa280-e03f-5afa-8d8e-92d0a9c201e8");
    expect(await value("[guid('x')]")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await valueError("[guid(1)]")).toContain("guid");
  });
});

describe("syntax", () => {
  it("tells expressions from literals and unescapes [[", async () => {
    expect(await value("[[notAnExpression]")).toBe("[notAnExpression]");
    expect(await value("[test] value")).toBe("[test] value");
    expect(await value("[concat('a'")).toBe("[concat('a'");
    expect(await value({ nested: ["[[a]", "[toUpper('b')]", 1, null] })).toEqual({ nested: ["[a]", "B", 1, null] });
    expect(await value("plain")).toBe("plain");
    expect(await value("[ concat( 'a' ,  'b' ) ]")).toBe("ab");
    expect(await value("['it''s']")).toBe("it's");
    expect(await value("['']")).toBe("");
    expect(await value("[add(-1, 3)]")).toBe(2);
  });

  it("names functions case-insensitively and accesses properties and indexes", async () => {
    expect(await value("[CONCAT('a', ToUpper('b'))]")).toBe("aB");
    expect(await value("[resourceGroup().LOCATION]")).toBe("westus");
    expect(await value("[json('{\"Outer\":{\"inner\":[10,20,30]}}').outer.INNER[1]]")).toBe(20);
    expect(await value("[json('{\"a\":{\"b\":1}}')['A']['b']]")).toBe(1);
    expect(await value("[createArray('x','y')[add(0, 1)]]")).toBe("y");
  });

  it("reports missing properties and out-of-range indexes as Azure does", async () => {
    expect(await valueError("[json('{\"a\":1,\"b\":2}').c]")).toContain("The language expression property 'c' doesn't exist, available properties are 'a, b'");
    expect(await valueError("[createArray(1)[3]]")).toContain("The language expression property array index '3' is out of bounds");
  });

  it("refuses bad syntax with InvalidTemplate", async () => {
    for (const bad of ["[concat('a']", "[concat('a',)]", "[concat('a') extra]", "['unterminated]", "[a b]", "[]", "[foo.]", "[1.5]"]) {
      expect(await valueError(bad), bad).toMatch(/Deployment template validation failed: 'The template variable 'probe' is not valid: Unable to parse language expression/);
    }
  });
});

describe("string and array functions", () => {
  it("concat: arrays are concatenated, otherwise strings with ints and booleans written out and nulls skipped", async () => {
    expect(await value("[concat(createArray(1, 2), createArray(2, 3), createArray())]")).toEqual([1, 2, 2, 3]);
    expect(await value("[concat('a', 1, true(), null(), 'b')]")).toBe("a1Trueb");
    expect(await value("[concat('only')]")).toBe("only");
    expect(await valueError("[concat('a', createObject())]")).toContain("'concat'");
    expect(await valueError("[concat(createArray(1), 'a')]")).toContain("'concat'");
    expect(await valueError("[concat()]")).toContain("'concat'");
  });

  it("format: .NET composite formatting", async () => {
    expect(await value("[format('{0}-{1}', 'a', 2)]")).toBe("a-2");
    expect(await value("[format('{0:N0}', 8175133)]")).toBe("8,175,133");
    expect(await value("[format('{0:N2}', 1234)]")).toBe("1,234.00");
    expect(await value("[format('{0:D4}|{1:X}|{2:x4}', 42, 255, 255)]")).toBe("0042|FF|00ff");
    expect(await value("[format('{0:000}', 7)]")).toBe("007");
    expect(await value("[format('{{{0}}} {1}', 'x', true())]")).toBe("{x} True");
    expect(await value("[format('{0,5}|{0,-5}|', 'ab')]")).toBe("   ab|ab   |");
    expect(await value("[format('{0} {1}', createArray('a', 1), createObject('k', 'v'))]")).toBe("['a',1] {'k':'v'}");
    expect(await value("[format('{1}{0}', 'a', 'b')]")).toBe("ba");
    expect(await valueError("[format('{2}', 'a')]")).toContain("Index (zero based)");
    expect(await valueError("[format('{0', 'a')]")).toContain("Invalid format function parameter");
  });

  it("toLower, toUpper, trim, replace, split, join, substring", async () => {
    expect(await value("[toLower('AbC')]")).toBe("abc");
    expect(await value("[toUpper('AbC')]")).toBe("ABC");
    expect(await value("[trim('  x y  ')]")).toBe("x y");
    expect(await value("[replace('a-b-A', 'a', 'z')]")).toBe("z-b-A");
    expect(await value("[split('a,b;c', createArray(',', ';'))]")).toEqual(["a", "b", "c"]);
    expect(await value("[split('a,,b', ',')]")).toEqual(["a", "", "b"]);
    expect(await value("[join(createArray('a', 'b', 'c'), '-')]")).toBe("a-b-c");
    expect(await value("[substring('hello', 1, 3)]")).toBe("ell");
    expect(await value("[substring('hello', 2)]")).toBe("llo");
    expect(await valueError("[substring('hello', 3, 5)]")).toContain("'substring'");
  });

  it("contains: strings case-sensitively, object keys case-insensitively, arrays by value", async () => {
    expect(await value("[contains('OneTwo', 'Two')]")).toBe(true);
    expect(await value("[contains('OneTwo', 'two')]")).toBe(false);
    expect(await value("[contains(createObject('One', 1), 'one')]")).toBe(true);
    expect(await value("[contains(createArray('a', createObject('k', 1)), createObject('k', 1))]")).toBe(true);
    expect(await value("[contains(createArray('a'), 'A')]")).toBe(false);
  });

  it("indexOf, lastIndexOf, startsWith, endsWith ignore case on strings", async () => {
    expect(await value("[indexOf('abcABC', 'B')]")).toBe(1);
    expect(await value("[lastIndexOf('abcABC', 'b')]")).toBe(4);
    expect(await value("[indexOf(createArray('a', 'b'), 'b')]")).toBe(1);
    expect(await value("[indexOf(createArray('a'), 'z')]")).toBe(-1);
    expect(await value("[startsWith('Hello', 'he')]")).toBe(true);
    expect(await value("[endsWith('Hello', 'LO')]")).toBe(true);
  });

  it("take, skip, first, last, length, empty", async () => {
    expect(await value("[take(createArray(1, 2, 3), 2)]")).toEqual([1, 2]);
    expect(await value("[skip('hello', 3)]")).toBe("lo");
    expect(await value("[take('ab', 5)]")).toBe("ab");
    expect(await value("[first(createArray(7, 8))]")).toBe(7);
    expect(await value("[last('xyz')]")).toBe("z");
    expect(await value("[first(createArray())]")).toBe(null);
    expect(await value("[length('abc')]")).toBe(3);
    expect(await value("[length(createArray(1, 2))]")).toBe(2);
    expect(await value("[length(createObject('a', 1, 'b', 2))]")).toBe(2);
    for (const e of ["[empty(null())]", "[empty('')]", "[empty(createArray())]", "[empty(createObject())]"]) expect(await value(e), e).toBe(true);
    for (const e of ["[empty(' ')]", "[empty(createArray(null()))]", "[empty(createObject('a', 1))]"]) expect(await value(e), e).toBe(false);
    expect(await valueError("[empty(1)]")).toContain("'empty'");
    expect(await valueError("[empty(true())]")).toContain("'empty'");
  });

  it("union: arrays without duplicates (first occurrence wins), objects merged recursively (later wins)", async () => {
    expect(await value("[union(createArray(1, 2, 2), createArray(3, 1), createArray('1'))]")).toEqual([1, 2, 3, "1"]);
    expect(
      await value("[union(json('{\"a\":1,\"n\":{\"x\":1,\"y\":2},\"arr\":[1]}'), json('{\"b\":2,\"n\":{\"y\":3},\"arr\":[2]}'), createObject('a', 'last'))]"),
    ).toEqual({ a: "last", n: { x: 1, y: 3 }, arr: [2], b: 2 });
    expect(await valueError("[union(createArray(1), createObject())]")).toContain("'union'");
    expect(await valueError("[union(createArray(1))]")).toContain("'union'");
  });

  it("intersection, createArray, createObject, coalesce, items, tryGet, range, min, max", async () => {
    expect(await value("[intersection(createArray(1, 2, 3), createArray(3, 2, 5))]")).toEqual([2, 3]);
    expect(await value("[createArray()]")).toEqual([]);
    expect(await value("[createArray(1, 'a', createArray())]")).toEqual([1, "a", []]);
    expect(await value("[createObject('a', 1, 'b', createArray(true()))]")).toEqual({ a: 1, b: [true] });
    expect(await valueError("[createObject('a')]")).toContain("'createObject'");
    expect(await valueError("[createObject('a', 1, 'a', 2)]")).toContain("'createObject'");
    expect(await valueError("[createObject(1, 2)]")).toContain("'createObject'");
    expect(await value("[coalesce(null(), null(), 'x', 'y')]")).toBe("x");
    expect(await value("[coalesce(null())]")).toBe(null);
    expect(await value("[items(createObject('b', 2, 'A', 1))]")).toEqual([
      { key: "A", value: 1 },
      { key: "b", value: 2 },
    ]);
    expect(await value("[tryGet(createObject('k', createObject('n', 5)), 'K', 'n')]")).toBe(5);
    expect(await value("[tryGet(createObject(), 'missing')]")).toBe(null);
    expect(await value("[range(5, 3)]")).toEqual([5, 6, 7]);
    expect(await value("[min(4, 2, 9)]")).toBe(2);
    expect(await value("[max(createArray(4, 2, 9))]")).toBe(9);
  });

  it("conversions: string, int, bool, json, base64, uri", async () => {
    expect(await value("[string(createObject('a', createArray(1, 'x')))]")).toBe('{"a":[1,"x"]}');
    expect(await value("[string(true())]")).toBe("True");
    expect(await value("[string(12)]")).toBe("12");
    expect(await value("[int('42')]")).toBe(42);
    expect(await valueError("[int('4x')]")).toContain("'int'");
    expect(await value("[bool('TRUE')]")).toBe(true);
    expect(await value("[bool(0)]")).toBe(false);
    expect(await value("[json('[1,{\"a\":null}]')]")).toEqual([1, { a: null }]);
    expect(await value("[json('null')]")).toBe(null);
    expect(await valueError("[json('{')]")).toContain("'json'");
    expect(await value("[base64('héllo')]")).toBe("aMOpbGxv");
    expect(await value("[base64ToString('aMOpbGxv')]")).toBe("héllo");
    expect(await value("[uri('https://example.com/a/b', 'c?d=1')]")).toBe("https://example.com/a/c?d=1");
    expect(await value("[uriComponent('a b/c')]")).toBe("a%20b%2Fc");
  });
});

describe("logic, comparison and numbers", () => {
  it("equals: numbers by value, strings case-sensitively, deep JSON otherwise", async () => {
    expect(await value("[equals('abc', 'abc')]")).toBe(true);
    expect(await value("[equals('abc', 'ABC')]")).toBe(false);
    expect(await value("[equals(1, 1)]")).toBe(true);
    expect(await value("[equals(1, '1')]")).toBe(false);
    expect(await value("[equals(json('{\"a\":1,\"b\":[1,2]}'), json('{\"b\":[1,2],\"a\":1}'))]")).toBe(true);
    expect(await value("[equals(createArray(1, 2), createArray(2, 1))]")).toBe(false);
    expect(await value("[equals(null(), null())]")).toBe(true);
  });

  it("if evaluates only the chosen branch and needs a boolean", async () => {
    expect(await value("[if(true(), 'yes', div(1, 0))]")).toBe("yes");
    expect(await value("[if(equals(1, 2), createArray()[5], 'no')]")).toBe("no");
    expect(await valueError("[if(false(), 'a', div(1, 0))]")).toContain("divide by zero");
    expect(await valueError("[if('true', 'a', 'b')]")).toContain("'if'");
  });

  it("and, or, not, comparisons", async () => {
    expect(await value("[and(true(), true(), false())]")).toBe(false);
    expect(await value("[or(false(), true())]")).toBe(true);
    expect(await value("[not(false())]")).toBe(true);
    expect(await valueError("[and(true(), 'x')]")).toContain("'and'");
    expect(await value("[less(1, 2)]")).toBe(true);
    expect(await value("[lessOrEquals(2, 2)]")).toBe(true);
    expect(await value("[greater('b', 'a')]")).toBe(true);
    expect(await value("[greaterOrEquals('a', 'b')]")).toBe(false);
    expect(await valueError("[less(1, 'a')]")).toContain("'less'");
  });

  it("integer arithmetic", async () => {
    expect(await value("[add(2, 3)]")).toBe(5);
    expect(await value("[sub(2, 3)]")).toBe(-1);
    expect(await value("[mul(4, 3)]")).toBe(12);
    expect(await value("[div(-7, 2)]")).toBe(-3);
    expect(await value("[mod(7, 3)]")).toBe(1);
    expect(await valueError("[div(1, 0)]")).toContain("divide by zero");
    expect(await valueError("[add(1, '2')]")).toContain("'add'");
  });

  it("checks arity before evaluating", async () => {
    expect(await valueError("[equals(1)]")).toContain("Unable to evaluate template language function 'equals': function requires 2 argument(s) while 1 were provided");
    expect(await valueError("[toLower('a', 'b')]")).toContain("'toLower'");
  });
});

describe("deployment functions", () => {
  it("resourceId in all its forms", async () => {
    expect(await value("[resourceId('Microsoft.Network/virtualNetworks', 'vnet')]")).toBe(`${RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet`);
    expect(await value("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'sub')]")).toBe(
      `${RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/sub`,
    );
    expect(await value("[resourceId('otherRg', 'Microsoft.Storage/storageAccounts', 'sa')]")).toBe(
      `/subscriptions/${SUB}/resourceGroups/otherRg/providers/Microsoft.Storage/storageAccounts/sa`,
    );
    expect(await value("[resourceId('sub2', 'rg2', 'Microsoft.Storage/storageAccounts', 'sa')]")).toBe(
      "/subscriptions/sub2/resourceGroups/rg2/providers/Microsoft.Storage/storageAccounts/sa",
    );
    expect(await valueError("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet')]")).toContain("requires '2' resource name");
    expect(await value("[resourceId('Microsoft.Network/virtualNetworks', 'vnet')]", { scope: SUB_SCOPE })).toBe(
      `/subscriptions/${SUB}/providers/Microsoft.Network/virtualNetworks/vnet`,
    );
  });

  it("subscriptionResourceId, tenantResourceId, extensionResourceId", async () => {
    expect(await value("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b24988ac-6180-42a0-ab88-20f7382dd24c')]")).toBe(
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c`,
    );
    expect(await value("[subscriptionResourceId('s2', 'Microsoft.Authorization/roleDefinitions', 'r')]")).toBe(
      "/subscriptions/s2/providers/Microsoft.Authorization/roleDefinitions/r",
    );
    expect(await value("[tenantResourceId('Microsoft.Management/managementGroups', 'mg')]")).toBe("/providers/Microsoft.Management/managementGroups/mg");
    expect(await value("[extensionResourceId(resourceId('Microsoft.KeyVault/vaults', 'kv'), 'Microsoft.Authorization/roleAssignments', 'g')]")).toBe(
      `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/roleAssignments/g`,
    );
  });

  it("resourceGroup, subscription, tenant, deployment", async () => {
    expect(await value("[resourceGroup()]")).toEqual({
      id: RG_ID,
      name: "rg1",
      type: "Microsoft.Resources/resourceGroups",
      location: "westus",
      tags: { env: "test" },
      properties: { provisioningState: "Succeeded" },
    });
    expect(await value("[subscription()]")).toEqual({
      id: `/subscriptions/${SUB}`,
      subscriptionId: SUB,
      tenantId: TENANT,
      displayName: "Emulated subscription",
    });
    expect(await value("[tenant().tenantId]")).toBe(TENANT);
    expect(await value("[tenant().id]")).toBe(`/tenants/${TENANT}`);
    expect(await value("[deployment().name]")).toBe(SCOPE.deploymentName);
    expect(await value("[contains(deployment().properties, 'templateLink')]")).toBe(false);
    expect(await value("[deployment().location]", { scope: SUB_SCOPE })).toBe("eastus");
    expect(await valueError("[resourceGroup().id]", { scope: SUB_SCOPE })).toContain("The template function 'resourceGroup' is not expected at this location");
  });
});
