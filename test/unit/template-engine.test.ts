// Template engine: parameters, variables, resources (copy, condition, dependsOn, extension forms),
// validation errors, outputs and evaluation through a runtime.
import { describe, expect, it } from "vitest";
import { prepareDeployment, type PlannedResource } from "../../workers/arm/src/providers/resources/template";
import { failure, fakeRuntime, NO_RUNTIME, RG_ID, SCOPE, SUB, SUB_SCOPE, template, value, valueError } from "./template-helpers";

const NET = `${RG_ID}/providers/Microsoft.Network`;

function ids(resources: PlannedResource[]): string[] {
  return resources.map((r) => r.id);
}

describe("parameters", () => {
  const declared = {
    name: { type: "string", minLength: 3, maxLength: 8 },
    count: { type: "int", defaultValue: 2, minValue: 1, maxValue: 5 },
    sku: { type: "String", allowedValues: ["Standard_LRS", "Premium_LRS"], defaultValue: "Standard_LRS" },
    flag: { type: "bool", defaultValue: false },
    settings: { type: "object", defaultValue: { a: 1 } },
    zones: { type: "array", defaultValue: [], allowedValues: ["1", "2", "3"] },
    password: { type: "securestring" },
    secret: { type: "secureObject", defaultValue: { k: "v" } },
    location: { type: "string", defaultValue: "[resourceGroup().location]" },
    prefix: { type: "string", defaultValue: "[concat(parameters('name'), uniqueString(resourceGroup().id))]" },
    stamp: { type: "string", defaultValue: "[utcNow('yyyy')]" },
    id: { type: "string", defaultValue: "[newGuid()]" },
  };
  const given = { name: { value: "abcd" }, password: { value: "P@ssw0rd!" }, zones: { value: ["1", "3"] } };

  it("binds request values and defaults (expressions included) and echoes them with Azure's type names, secure ones without value", async () => {
    const prepared = await prepareDeployment(template([], { parameters: declared }), given, SCOPE);
    const p = prepared.parameters;
    expect(p.name).toEqual({ type: "String", value: "abcd" });
    expect(p.count).toEqual({ type: "Int", value: 2 });
    expect(p.sku).toEqual({ type: "String", value: "Standard_LRS" });
    expect(p.flag).toEqual({ type: "Bool", value: false });
    expect(p.settings).toEqual({ type: "Object", value: { a: 1 } });
    expect(p.zones).toEqual({ type: "Array", value: ["1", "3"] });
    expect(p.password).toEqual({ type: "SecureString" });
    expect(p.secret).toEqual({ type: "SecureObject" });
    expect(p.location!.value).toBe("westus");
    expect(p.prefix!.value).toMatch(/^abcd[a-z2-7]{13}$/);
    expect(p.stamp!.value).toBe(String(new Date().getUTCFullYear()));
    expect(p.id!.value).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(p)).not.toContain("P@ssw0rd!");
  });

  it("makes secure values available to expressions", async () => {
    expect(await value("[parameters('pw')]", { parameters: { pw: { type: "secureString" } }, given: { pw: { value: "s3cret" } } })).toBe("s3cret");
    expect(await value("[parameters('PW')]", { parameters: { pw: { type: "string" } }, given: { Pw: { value: "x" } } })).toBe("x");
  });

  it("refuses a missing value in Azure's words", async () => {
    const e = await failure(prepareDeployment(template([], { parameters: declared }), { name: { value: "abcd" } }, SCOPE));
    expect(e.code).toBe("InvalidTemplate");
    expect(e.message).toBe(
      "Deployment template validation failed: 'The value for the template parameter 'password' at line '1' and column '1' is not provided. Please see https://aka.ms/arm-create-parameter-file for usage details.'.",
    );
  });

  it("refuses a parameter the template does not declare", async () => {
    const e = await failure(prepareDeployment(template([], { parameters: { a: { type: "string" } } }), { a: { value: "x" }, extra: { value: 1 } }, SCOPE));
    expect(e.code).toBe("InvalidTemplate");
    expect(e.message).toContain("The template parameters 'extra' in the parameters file are not valid; they are not present in the original template");
    expect(e.message).toContain("The only supported parameters for this template are 'a'");
  });

  it("refuses wrong types, disallowed values and values out of range", async () => {
    const run = (more: Record<string, unknown>) => failure(prepareDeployment(template([], { parameters: declared }), { ...given, ...more }, SCOPE));
    expect((await run({ count: { value: "3" } })).message).toContain(
      "Template parameter 'count' was provided an invalid value. Expected a value of type 'Integer', but received a value of type 'String'",
    );
    expect((await run({ flag: { value: "true" } })).message).toContain("Expected a value of type 'Boolean'");
    expect((await run({ sku: { value: "standard_lrs" } })).message).toContain(
      "The provided value 'standard_lrs' for the template parameter 'sku' at line '1' and column '1' is not valid. The parameter value is not part of the allowed value(s): 'Standard_LRS,Premium_LRS'",
    );
    expect((await run({ zones: { value: ["1", "4"] } })).message).toContain("not part of the allowed value(s)");
    expect((await run({ count: { value: 9 } })).message).toContain("greater than the maximum value allowed: '5'");
    expect((await run({ count: { value: 0 } })).message).toContain("less than the minimum value allowed: '1'");
    expect((await run({ name: { value: "ab" } })).message).toContain("minimum length allowed: '3'");
    expect((await run({ name: { value: "abcdefghi" } })).message).toContain("maximum length allowed: '8'");
    const secure = await failure(
      prepareDeployment(template([], { parameters: { pw: { type: "securestring", minLength: 12 } } }), { pw: { value: "short" } }, SCOPE),
    );
    expect(secure.message).toContain("for the template parameter 'pw'");
    expect(secure.message).not.toContain("short");
  });

  it("refuses unknown parameter types and defaults that use variables or reference()", async () => {
    expect((await failure(prepareDeployment(template([], { parameters: { a: { type: "float" } } }), {}, SCOPE))).message).toContain("invalid type 'float'");
    const withVariable = template([], { parameters: { a: { type: "string", defaultValue: "[variables('v')]" } }, variables: { v: "x" } });
    expect((await failure(prepareDeployment(withVariable, {}, SCOPE))).message).toContain("The template function 'variables' is not expected at this location");
    const withReference = template([], { parameters: { a: { type: "object", defaultValue: "[reference('x')]" } } });
    expect((await failure(prepareDeployment(withReference, {}, SCOPE))).message).toContain("The template function 'reference' is not expected at this location");
  });
});

describe("variables", () => {
  it("may use parameters and each other, in any order", async () => {
    const variables = { full: "[concat(variables('base'), '-', parameters('p'))]", base: "[toUpper('b')]", obj: { nested: "[variables('full')]", lit: "[[x]" } };
    expect(await value("[variables('obj')]", { parameters: { p: { type: "string", defaultValue: "q" } }, variables })).toEqual({ nested: "B-q", lit: "[x]" });
  });

  it("refuses cycles and unknown names", async () => {
    const cyc = await valueError("[variables('a')]", { variables: { a: "[variables('b')]", b: "[concat(variables('a'), 'x')]" } });
    expect(cyc).toContain("Circular reference detected among the template variables");
    expect(await valueError("[variables('nope')]")).toContain("The template variable 'nope' is not found");
    expect(await valueError("[parameters('nope')]")).toContain("The template parameter 'nope' is not found");
    expect(await valueError("[variables(concat('no', 'pe'))]")).toContain("The template variable 'nope' is not found");
  });

  it("supports copy in the variables section and in variable values", async () => {
    const variables = {
      copy: [{ name: "disks", count: 3, input: { name: "[concat('disk', copyIndex('disks', 1))]", lun: "[copyIndex('disks')]" } }],
      holder: { copy: [{ name: "items", count: 2, input: "[mul(copyIndex('items'), 10)]" }], other: true },
    };
    expect(await value("[variables('disks')]", { variables })).toEqual([
      { name: "disk1", lun: 0 },
      { name: "disk2", lun: 1 },
      { name: "disk3", lun: 2 },
    ]);
    expect(await value("[variables('holder')]", { variables })).toEqual({ other: true, items: [0, 10] });
    expect(await valueError("[copyIndex()]")).toContain("The template function 'copyIndex' is not expected at this location");
  });
});

describe("resources", () => {
  it("expands copy loops with copyIndex and evaluates names, ids and conditions", async () => {
    const t = template(
      [
        {
          type: "Microsoft.Network/publicIPAddresses",
          apiVersion: "2022-01-01",
          name: "[concat('ip', copyIndex(1))]",
          location: "[resourceGroup().location]",
          copy: { name: "ips", count: "[parameters('n')]" },
          condition: "[not(equals(copyIndex(), 1))]",
          properties: { index: "[copyIndex()]", label: "[concat('n', copyIndex('ips', 10))]" },
        },
        { type: "Microsoft.Network/publicIPAddresses", apiVersion: "2022-01-01", name: "none", copy: { name: "empty", count: 0 } },
      ],
      { parameters: { n: { type: "int", defaultValue: 3 } } },
    );
    const prepared = await prepareDeployment(t, {}, SCOPE);
    expect(prepared.resources.map((r) => [r.name, r.condition, r.symbol])).toEqual([
      ["ip1", true, "resources[0]#0"],
      ["ip2", false, "resources[0]#1"],
      ["ip3", true, "resources[0]#2"],
    ]);
    expect(prepared.resources[0]).toMatchObject({ id: `${NET}/publicIPAddresses/ip1`, type: "Microsoft.Network/publicIPAddresses", apiVersion: "2022-01-01", dependsOn: [] });
    expect(await prepared.evaluate(prepared.resources[2]!, NO_RUNTIME)).toEqual({ location: "westus", properties: { index: 2, label: "n12" } });
  });

  it("refuses copy counts outside 0..800", async () => {
    const t = (count: unknown) => template([{ type: "Microsoft.Network/publicIPAddresses", apiVersion: "2022-01-01", name: "[concat('ip', copyIndex())]", copy: { name: "ips", count } }]);
    expect((await failure(prepareDeployment(t(801), {}, SCOPE))).message).toContain("copy count");
    expect((await failure(prepareDeployment(t(-1), {}, SCOPE))).message).toContain("copy count");
    expect((await prepareDeployment(t(800), {}, SCOPE)).resources).toHaveLength(800);
  });

  it("expands property copy loops and drops nulls from bodies", async () => {
    const t = template([
      {
        type: "Microsoft.Compute/virtualMachines",
        apiVersion: "2024-11-01",
        name: "vm",
        location: "westus",
        dependsOn: [],
        comments: "ignored",
        properties: {
          storageProfile: {
            copy: [{ name: "dataDisks", count: 2, input: { lun: "[copyIndex('dataDisks')]", name: "[concat('d', copyIndex('dataDisks'))]", caching: null } }],
            osDisk: { name: null, managedDisk: { storageAccountType: null } },
          },
          list: [null, 1],
          nothing: "[null()]",
        },
        tags: {},
        identity: { type: "SystemAssigned" },
        zones: null,
      },
    ]);
    const prepared = await prepareDeployment(t, {}, SCOPE);
    const body = await prepared.evaluate(prepared.resources[0]!, NO_RUNTIME);
    expect(body).toEqual({
      location: "westus",
      tags: {},
      identity: { type: "SystemAssigned" },
      properties: {
        storageProfile: { osDisk: { managedDisk: {} }, dataDisks: [{ lun: 0, name: "d0" }, { lun: 1, name: "d1" }] },
        list: [null, 1],
      },
    });
  });

  it("orders by dependsOn in every form, stable by template order", async () => {
    const t = template([
      { type: "Microsoft.Network/networkInterfaces", apiVersion: "2015-06-15", name: "nic", dependsOn: ["Microsoft.Network/publicIpAddresses/pip", "vnet", `${NET}/networkSecurityGroups/NSG`, "[resourceId('Microsoft.Network/virtualNetworks', 'vnet')]"] },
      { type: "Microsoft.Network/virtualNetworks", apiVersion: "2015-06-15", name: "vnet", dependsOn: ["disks"] },
      { type: "Microsoft.Network/networkSecurityGroups", apiVersion: "2015-06-15", name: "nsg" },
      { type: "Microsoft.Network/publicIPAddresses", apiVersion: "2022-01-01", name: "pip" },
      { type: "Microsoft.Compute/disks", apiVersion: "2023-01-01", name: "[concat('disk', copyIndex())]", copy: { name: "disks", count: 2 } },
      { type: "Microsoft.Network/virtualNetworks/subnets", apiVersion: "2023-01-01", name: "vnet/s1", dependsOn: ["Microsoft.Network/virtualNetworks/vnet"] },
      { type: "Microsoft.Storage/storageAccounts", apiVersion: "2023-01-01", name: "sa" },
    ]);
    const prepared = await prepareDeployment(t, {}, SCOPE);
    expect(prepared.resources.map((r) => r.name)).toEqual(["nsg", "pip", "disk0", "disk1", "vnet", "nic", "vnet/s1", "sa"]);
    const nic = prepared.resources.find((r) => r.name === "nic")!;
    expect(nic.dependsOn.sort()).toEqual([`${NET}/networkSecurityGroups/nsg`, `${NET}/publicIPAddresses/pip`, `${NET}/virtualNetworks/vnet`].sort());
    expect(prepared.resources.find((r) => r.name === "vnet")!.dependsOn).toEqual([
      `${RG_ID}/providers/Microsoft.Compute/disks/disk0`,
      `${RG_ID}/providers/Microsoft.Compute/disks/disk1`,
    ]);
  });

  it("serial copy loops run in batches", async () => {
    const t = template([
      { type: "Microsoft.Compute/disks", apiVersion: "2023-01-01", name: "[concat('d', copyIndex())]", copy: { name: "d", count: 4, mode: "serial", batchSize: 2 } },
    ]);
    const prepared = await prepareDeployment(t, {}, SCOPE);
    expect(prepared.resources.map((r) => r.dependsOn.length)).toEqual([0, 0, 2, 2]);
  });

  it("refuses cycles and dependsOn entries that name nothing", async () => {
    const cyclic = template([
      { type: "Microsoft.Network/virtualNetworks", apiVersion: "2015-06-15", name: "a", dependsOn: ["b"] },
      { type: "Microsoft.Network/virtualNetworks", apiVersion: "2015-06-15", name: "b", dependsOn: ["Microsoft.Network/virtualNetworks/c"] },
      { type: "Microsoft.Network/virtualNetworks", apiVersion: "2015-06-15", name: "c", dependsOn: ["a"] },
      { type: "Microsoft.Network/virtualNetworks", apiVersion: "2015-06-15", name: "d" },
    ]);
    const e = await failure(prepareDeployment(cyclic, {}, SCOPE));
    expect(e.code).toBe("InvalidTemplate");
    expect(e.message).toMatch(/^Deployment template validation failed: 'Circular dependency detected on resource: '.*\/virtualNetworks\/[abc]'\. Please see https:\/\/aka\.ms\/arm-template\/#resources for usage details\.'\.$/);
    const self = template([{ type: "Microsoft.Network/virtualNetworks", apiVersion: "2015-06-15", name: "a", dependsOn: ["a"] }]);
    expect((await failure(prepareDeployment(self, {}, SCOPE))).message).toContain("Circular dependency");
    const dangling = template([{ type: "Microsoft.Network/virtualNetworks", apiVersion: "2015-06-15", name: "a", dependsOn: ["Microsoft.Network/virtualNetworks/ghost"] }]);
    expect((await failure(prepareDeployment(dangling, {}, SCOPE))).message).toBe(
      "Deployment template validation failed: 'The resource 'Microsoft.Network/virtualNetworks/ghost' is not defined in the template. Please see https://aka.ms/arm-template for usage details.'.",
    );
  });

  it("adds implicit dependencies from reference() by name or in-template id", async () => {
    const t = template([
      {
        type: "Microsoft.Web/sites",
        apiVersion: "2023-01-01",
        name: "site",
        properties: { a: "[reference('sa').primaryEndpoints.blob]", b: "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'uami'), '2023-01-31').principalId]" },
      },
      { type: "Microsoft.Storage/storageAccounts", apiVersion: "2023-01-01", name: "sa" },
      { type: "Microsoft.ManagedIdentity/userAssignedIdentities", apiVersion: "2023-01-31", name: "uami" },
    ]);
    const prepared = await prepareDeployment(t, {}, SCOPE);
    expect(prepared.resources.map((r) => r.name)).toEqual(["sa", "uami", "site"]);
    expect(prepared.resources[2]!.dependsOn).toEqual([
      `${RG_ID}/providers/Microsoft.Storage/storageAccounts/sa`,
      `${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami`,
    ]);
    const runtime = fakeRuntime({
      [`${RG_ID}/providers/Microsoft.Storage/storageAccounts/sa`]: { properties: { primaryEndpoints: { blob: "https://sa.blob/" } } },
      [`${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami`]: { properties: { principalId: "pid" } },
    });
    expect(await prepared.evaluate(prepared.resources[2]!, runtime)).toEqual({ properties: { a: "https://sa.blob/", b: "pid" } });
    expect(runtime.calls).toEqual([
      [`${RG_ID}/providers/Microsoft.Storage/storageAccounts/sa`, "2023-01-01"],
      [`${RG_ID}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami`, "2023-01-31"],
    ]);
  });

  it("refuses reference() to a name the template does not have, and reports a missing resource at apply time", async () => {
    const byName = template([{ type: "Microsoft.Web/sites", apiVersion: "2023-01-01", name: "site", properties: { a: "[reference('ghost').x]" } }]);
    expect((await failure(prepareDeployment(byName, {}, SCOPE))).message).toContain(
      "The template reference 'ghost' is not valid: could not find template resource or resource copy with this name",
    );
    const external = template([
      { type: "Microsoft.Web/sites", apiVersion: "2023-01-01", name: "site", properties: { a: `[reference('${RG_ID}/providers/Microsoft.Storage/storageAccounts/gone', '2023-01-01').x]` } },
    ]);
    const prepared = await prepareDeployment(external, {}, SCOPE);
    const e = await failure(prepared.evaluate(prepared.resources[0]!, NO_RUNTIME));
    expect(e.code).toBe("ResourceNotFound");
    expect(e.message).toBe(
      "The Resource 'Microsoft.Storage/storageAccounts/gone' under resource group 'rg1' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    );
  });

  it("gives nested child resources the parent's type and name and a dependency on it", async () => {
    const t = template([
      {
        type: "Microsoft.Network/virtualNetworks",
        apiVersion: "2023-01-01",
        name: "vnet",
        resources: [{ type: "subnets", apiVersion: "2023-01-01", name: "s1", properties: { addressPrefix: "10.0.0.0/24" } }],
      },
    ]);
    const prepared = await prepareDeployment(t, {}, SCOPE);
    expect(prepared.resources.map((r) => [r.id, r.type, r.name, r.symbol])).toEqual([
      [`${NET}/virtualNetworks/vnet`, "Microsoft.Network/virtualNetworks", "vnet", "resources[0]"],
      [`${NET}/virtualNetworks/vnet/subnets/s1`, "Microsoft.Network/virtualNetworks/subnets", "vnet/s1", "resources[0].resources[0]"],
    ]);
    expect(prepared.resources[1]!.dependsOn).toEqual([`${NET}/virtualNetworks/vnet`]);
  });

  it("refuses names whose segments do not match the type", async () => {
    const t = template([{ type: "Microsoft.Network/virtualNetworks/subnets", apiVersion: "2023-01-01", name: "justone" }]);
    expect((await failure(prepareDeployment(t, {}, SCOPE))).message).toContain("incorrect segment lengths");
  });

  it("places extension resources at their scope (scope property and the legacy nested form)", async () => {
    const kv = `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv1`;
    const t = template([
      { type: "Microsoft.KeyVault/vaults", apiVersion: "2023-07-01", name: "kv1" },
      { type: "Microsoft.Authorization/roleAssignments", apiVersion: "2022-04-01", name: "[guid('one')]", scope: "Microsoft.KeyVault/vaults/kv1", properties: {} },
      { type: "Microsoft.Authorization/roleAssignments", apiVersion: "2022-04-01", name: "g2", scope: `[resourceId('Microsoft.KeyVault/vaults', 'kv1')]` },
      { type: "Microsoft.KeyVault/vaults/providers/roleAssignments", apiVersion: "2015-07-01", name: "kv1/Microsoft.Authorization/g3" },
      { type: "Microsoft.Authorization/roleAssignments", apiVersion: "2022-04-01", name: "g4", scope: `/subscriptions/${SUB}` },
    ]);
    const prepared = await prepareDeployment(t, {}, SCOPE);
    const [vault, ...assignments] = prepared.resources;
    expect(vault!.id).toBe(kv);
    const guidOne = assignments[0]!.name;
    expect(assignments.map((r) => [r.id, r.type, r.name])).toEqual([
      [`${kv}/providers/Microsoft.Authorization/roleAssignments/${guidOne}`, "Microsoft.Authorization/roleAssignments", guidOne],
      [`${kv}/providers/Microsoft.Authorization/roleAssignments/g2`, "Microsoft.Authorization/roleAssignments", "g2"],
      [`${kv}/providers/Microsoft.Authorization/roleAssignments/g3`, "Microsoft.Authorization/roleAssignments", "g3"],
      [`/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/g4`, "Microsoft.Authorization/roleAssignments", "g4"],
    ]);
    expect(assignments.slice(0, 3).every((r) => r.dependsOn.length === 1 && r.dependsOn[0] === kv)).toBe(true);
  });

  it("plans subscription-scope deployments", async () => {
    const t = template([
      { type: "Microsoft.Resources/resourceGroups", apiVersion: "2024-11-01", name: "newRg", location: "[deployment().location]" },
      { type: "Microsoft.Authorization/roleAssignments", apiVersion: "2022-04-01", name: "g", dependsOn: ["newRg"] },
    ]);
    const prepared = await prepareDeployment(t, {}, SUB_SCOPE);
    expect(ids(prepared.resources)).toEqual([`/subscriptions/${SUB}/resourceGroups/newRg`, `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments/g`]);
    expect(await prepared.evaluate(prepared.resources[0]!, NO_RUNTIME)).toEqual({ location: "eastus" });
  });
});

describe("nested deployments", () => {
  const nested = (scope: string | undefined) =>
    template(
      [
        {
          type: "Microsoft.Resources/deployments",
          apiVersion: "2024-11-01",
          name: "inner",
          properties: {
            mode: "Incremental",
            ...(scope ? { expressionEvaluationOptions: { scope } } : {}),
            parameters: { site: { value: "[parameters('site')]" } },
            template: {
              parameters: { site: { type: "string" } },
              resources: [{ type: "Microsoft.Web/sites", apiVersion: "2023-01-01", name: scope ? "[parameters('site')]" : "[concat(parameters('site'), '-outer')]" }],
            },
          },
        },
      ],
      { parameters: { site: { type: "string", defaultValue: "app1" } } },
    );

  it("hands an inner-scope template on as written and evaluates the rest in this deployment", async () => {
    const prepared = await prepareDeployment(nested("inner"), {}, SCOPE);
    expect(prepared.resources[0]!.id).toBe(`${RG_ID}/providers/Microsoft.Resources/deployments/inner`);
    const body = (await prepared.evaluate(prepared.resources[0]!, NO_RUNTIME)) as { properties: Record<string, any> };
    expect(body.properties.parameters).toEqual({ site: { value: "app1" } });
    expect(body.properties.template.resources[0].name).toBe("[parameters('site')]");
  });

  it("evaluates an outer-scope template's expressions in this deployment", async () => {
    const prepared = await prepareDeployment(nested(undefined), {}, SCOPE);
    const body = (await prepared.evaluate(prepared.resources[0]!, NO_RUNTIME)) as { properties: Record<string, any> };
    expect(body.properties.template.resources[0].name).toBe("app1-outer");
  });
});

describe("validation of functions", () => {
  const withKeys = (name: unknown, more: Record<string, unknown> = {}) =>
    template(
      [
        { type: "Microsoft.Storage/storageAccounts", apiVersion: "2023-01-01", name: "sa" },
        { type: "Microsoft.Web/sites", apiVersion: "2023-01-01", name, properties: { key: "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'sa'), '2023-01-01').keys[0].value]" } },
      ],
      more,
    );
  const notValid = (resource: string, fn: string) =>
    `Deployment template validation failed: 'The template resource '${resource}' at line '1' and column '1' is not valid: The template function '${fn}' is not valid. Please see https://aka.ms/arm-template-expressions for usage details.'.`;

  it("refuses unsupported functions before anything runs, naming the function and the resource", async () => {
    const e = await failure(prepareDeployment(withKeys("mysite"), {}, SCOPE));
    expect(e.code).toBe("InvalidTemplate");
    expect(e.message).toBe(notValid("mysite", "listKeys"));
    expect(e.target).toBe("resources[1]");
    const evaluatedName = withKeys("[concat('my', parameters('s'))]", { parameters: { s: { type: "string" } } });
    expect((await failure(prepareDeployment(evaluatedName, { s: { value: "app" } }, SCOPE))).message).toBe(notValid("myapp", "listKeys"));
    expect((await failure(prepareDeployment(evaluatedName, {}, SCOPE))).message).toBe(notValid("resources[1]", "listKeys"));
    for (const fn of ["environment()", "pickZones('Microsoft.Compute', 'virtualMachines', 'westus')", "listSecrets('x', '2020-01-01')", "providers('Microsoft.Web')", "dateTimeAdd('2020-01-01', 'P1D')", "madeUp(1)", "ns.fn()"]) {
      const t = template([{ type: "Microsoft.Web/sites", apiVersion: "2023-01-01", name: "s", properties: { v: `[concat('a', string(${fn}))]` } }]);
      const name = fn.slice(0, fn.indexOf("("));
      expect((await failure(prepareDeployment(t, {}, SCOPE))).message, fn).toBe(notValid("s", name));
    }
  });

  it("names the section for functions outside resources", async () => {
    expect(await valueError("[listKeys('x', '1')]")).toBe(
      "Deployment template validation failed: 'The template variable 'probe' is not valid: The template function 'listKeys' is not valid. Please see https://aka.ms/arm-template-expressions for usage details.'.",
    );
    const output = template([], { outputs: { o: { type: "string", value: "[environment().name]" } } });
    expect((await failure(prepareDeployment(output, {}, SCOPE))).message).toContain("The template output 'o' is not valid: The template function 'environment' is not valid");
    const param = template([], { parameters: { p: { type: "string", defaultValue: "[foo()]" } } });
    expect((await failure(prepareDeployment(param, { p: { value: "given" } }, SCOPE))).message).toContain("The template parameter 'p' is not valid: The template function 'foo' is not valid");
  });

  it("keeps reference(), utcNow() and newGuid() to where Azure allows them", async () => {
    const at = (resource: Record<string, unknown>) =>
      prepareDeployment(template([{ type: "Microsoft.Web/sites", apiVersion: "2023-01-01", name: "s", ...resource }]), {}, SCOPE);
    for (const place of [
      { name: "[reference('x').name]" },
      { location: "[reference('x').location]" },
      { condition: "[reference('x').enabled]" },
      { copy: { name: "c", count: "[reference('x').n]" } },
      { dependsOn: ["[reference('x').id]"] },
    ]) {
      expect((await failure(at(place))).message, JSON.stringify(place)).toContain("The template function 'reference' is not expected at this location");
    }
    expect((await failure(at({ properties: { t: "[utcNow()]" } }))).message).toContain("The template function 'utcNow' is not expected at this location");
    expect((await failure(at({ tags: { t: "[newGuid()]" } }))).message).toContain("The template function 'newGuid' is not expected at this location");
    expect(await valueError("[reference('x')]")).toContain("The template function 'reference' is not expected at this location");
  });

  it("applies Azure's limits and refuses absurd nesting without overflowing the stack", async () => {
    const many = (n: number, make: (i: number) => unknown) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, make(i)]));
    expect((await failure(prepareDeployment(template([], { parameters: many(257, () => ({ type: "string", defaultValue: "" })) }), {}, SCOPE))).message).toContain(
      "The number of template parameters limit exceeded. Limit: '256' and actual: '257'",
    );
    expect((await failure(prepareDeployment(template([], { variables: many(257, () => 1) }), {}, SCOPE))).message).toContain("Limit: '256' and actual: '257'");
    expect((await failure(prepareDeployment(template([], { outputs: many(65, () => ({ type: "int", value: 1 })) }), {}, SCOPE))).message).toContain(
      "Limit: '64' and actual: '65'",
    );
    const resources = Array.from({ length: 801 }, (_, i) => ({ type: "Microsoft.Network/virtualNetworks", apiVersion: "2023-01-01", name: `v${i}` }));
    expect((await failure(prepareDeployment(template(resources), {}, SCOPE))).message).toContain("Limit: '800' and actual: '801'");
    const loops = [0, 1].map((i) => ({ type: "Microsoft.Network/virtualNetworks", apiVersion: "2023-01-01", name: `[concat('v${i}-', copyIndex())]`, copy: { name: `l${i}`, count: 401 } }));
    expect((await failure(prepareDeployment(template(loops), {}, SCOPE))).message).toContain("Limit: '800'");
    const long = `[concat('${"x".repeat(24_570)}')]`;
    expect(long.length).toBeGreaterThan(24_576);
    expect(await valueError(long)).toContain("the limit is 24576 characters");
    expect(await value(`[concat('${"x".repeat(24_560)}')]`)).toHaveLength(24_560);

    const deepExpression = `[${"concat(".repeat(2_500)}'x'${")".repeat(2_500)}]`;
    expect(await valueError(deepExpression)).toContain("nested more than");
    let deepJson: unknown = "leaf";
    for (let i = 0; i < 20_000; i++) deepJson = { a: deepJson };
    expect((await failure(prepareDeployment(template([], { variables: { v: deepJson } }), {}, SCOPE))).message).toContain("nested more than");
    let deepParameter: unknown = 1;
    for (let i = 0; i < 20_000; i++) deepParameter = [deepParameter];
    expect(
      (await failure(prepareDeployment(template([], { parameters: { p: { type: "array" } } }), { p: { value: deepParameter } }, SCOPE))).message,
    ).toContain("nested too deeply");
    // Declared last-first, so evaluating v249 evaluates the whole chain beneath it.
    const chain = Object.fromEntries(Array.from({ length: 250 }, (_, j) => 249 - j).map((i) => [`v${i}`, i === 0 ? "[createArray(1)]" : `[createArray(${"createArray(".repeat(20)}variables('v${i - 1}')${")".repeat(20)})]`]));
    const chained = await failure(prepareDeployment(template([], { variables: chain }), {}, SCOPE));
    expect(chained.code).toBe("InvalidTemplate");
    expect(chained.message).toContain("nested more than 600 levels");
  });
});

describe("outputs", () => {
  const vmId = `${RG_ID}/providers/Microsoft.Compute/virtualMachines/vm1`;
  const runtime = () =>
    fakeRuntime({
      [vmId]: {
        id: vmId,
        name: "vm1",
        type: "Microsoft.Compute/virtualMachines",
        location: "westus",
        identity: { type: "SystemAssigned", principalId: "11111111-2222-3333-4444-555555555555", tenantId: "t" },
        properties: { vmId: "abc", provisioningState: "Succeeded" },
      },
    });
  const t = template([{ type: "Microsoft.Compute/virtualMachines", apiVersion: "2024-11-01", name: "vm1", location: "westus" }], {
    parameters: { pw: { type: "securestring", defaultValue: "hidden" } },
    outputs: {
      vmId: { type: "string", value: "[reference('vm1').vmId]" },
      principal: { type: "String", value: "[reference(resourceId('Microsoft.Compute/virtualMachines', 'vm1'), '2019-07-01', 'Full').identity.principalId]" },
      full: { type: "object", value: "[reference('vm1', '2024-11-01', 'full')]" },
      skipped: { type: "string", condition: "[equals(1, 2)]", value: "[reference('ghost-is-not-evaluated').x]" },
      names: { type: "array", copy: { count: 3, input: "[concat('n', copyIndex())]" } },
      count: { type: "int", value: "[length(createArray(1, 2))]" },
      flag: { type: "bool", value: true },
      secret: { type: "securestring", value: "[parameters('pw')]" },
      literal: { type: "string", value: "[[escaped]" },
    },
  });

  it("evaluates outputs through the runtime with Azure's type names", async () => {
    const prepared = await prepareDeployment(t, {}, SCOPE);
    const rt = runtime();
    const outputs = await prepared.outputs(rt);
    expect(outputs.vmId).toEqual({ type: "String", value: "abc" });
    expect(outputs.principal).toEqual({ type: "String", value: "11111111-2222-3333-4444-555555555555" });
    expect(outputs.full!.value).toMatchObject({
      apiVersion: "2024-11-01",
      location: "westus",
      identity: { principalId: "11111111-2222-3333-4444-555555555555" },
      properties: { vmId: "abc" },
      subscriptionId: SUB,
      resourceGroupName: "rg1",
      resourceId: "Microsoft.Compute/virtualMachines/vm1",
      isTemplateResource: true,
    });
    expect(outputs).not.toHaveProperty("skipped");
    expect(outputs.names).toEqual({ type: "Array", value: ["n0", "n1", "n2"] });
    expect(outputs.count).toEqual({ type: "Int", value: 2 });
    expect(outputs.flag).toEqual({ type: "Bool", value: true });
    expect(outputs.secret).toEqual({ type: "SecureString" });
    expect(outputs.literal).toEqual({ type: "String", value: "[escaped]" });
    expect(rt.calls.map((c) => c[1])).toEqual(["2024-11-01", "2019-07-01", "2024-11-01"]);
  });

  it("fails output evaluation with DeploymentOutputEvaluationFailed and the inner error", async () => {
    const bad = template([], { outputs: { o: { type: "int", value: "not a number" } } });
    const e = await failure((await prepareDeployment(bad, {}, SCOPE)).outputs(NO_RUNTIME));
    expect(e.code).toBe("DeploymentOutputEvaluationFailed");
    expect(e.message).toContain("Unable to evaluate template outputs: 'o'");
    expect(e.details![0]!.message).toContain("Template output value type 'String' does not match the declared type 'Integer'");
    const missing = template([], { outputs: { o: { type: "object", value: `[reference('${RG_ID}/providers/Microsoft.Web/sites/x', '2023-01-01')]` } } });
    const e2 = await failure((await prepareDeployment(missing, {}, SCOPE)).outputs(NO_RUNTIME));
    expect(e2.details![0]!.code).toBe("ResourceNotFound");
  });
});
