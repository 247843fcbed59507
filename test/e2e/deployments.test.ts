// ARM deployments: templates that describe identities and role assignments, applied through the
// registry with the caller's own authorization, over HTTP and with the unmodified
// @azure/arm-resources client.
import { DeploymentsClient } from "@azure/arm-resourcesdeployments";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

const API = "2024-11-01";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";

const emulator = TestEmulator.shared();
let sub: string;

const deploymentPath = (rg: string, name: string, suffix = "") =>
  `${sub}/resourcegroups/${rg}/providers/Microsoft.Resources/deployments/${name}${suffix}?api-version=${API}`;

/** The template the issue names: a user-assigned identity, a VM with it and a system-assigned one, a vault, role assignments for both principals. */
function identityTemplate() {
  return {
    $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: {
      prefix: { type: "string", defaultValue: "dep" },
      adminPassword: { type: "securestring" },
      vmSize: { type: "string", defaultValue: "Standard_B1s", allowedValues: ["Standard_B1s", "Standard_D2s_v3"] },
    },
    variables: {
      identityName: "[concat(parameters('prefix'), '-id')]",
      vmName: "[concat(parameters('prefix'), '-vm')]",
      vaultName: "[toLower(concat(parameters('prefix'), 'kv', uniqueString(resourceGroup().id)))]",
    },
    resources: [
      {
        type: "Microsoft.ManagedIdentity/userAssignedIdentities",
        apiVersion: "2023-01-31",
        name: "[variables('identityName')]",
        location: "[resourceGroup().location]",
      },
      {
        type: "Microsoft.Compute/virtualMachines",
        apiVersion: "2024-11-01",
        name: "[variables('vmName')]",
        location: "[resourceGroup().location]",
        dependsOn: ["[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName'))]"],
        identity: {
          type: "SystemAssigned, UserAssigned",
          userAssignedIdentities: { "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName'))]": {} },
        },
        properties: {
          hardwareProfile: { vmSize: "[parameters('vmSize')]" },
          osProfile: { computerName: "[variables('vmName')]", adminUsername: "azureuser", adminPassword: "[parameters('adminPassword')]" },
        },
      },
      {
        type: "Microsoft.KeyVault/vaults",
        apiVersion: "2023-07-01",
        name: "[variables('vaultName')]",
        location: "[resourceGroup().location]",
        properties: { tenantId: "[subscription().tenantId]", sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
      },
      {
        type: "Microsoft.Authorization/roleAssignments",
        apiVersion: "2022-04-01",
        name: "[guid(resourceGroup().id, variables('vmName'), 'reader')]",
        dependsOn: ["[resourceId('Microsoft.Compute/virtualMachines', variables('vmName'))]"],
        properties: {
          roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${READER}')]`,
          principalId: "[reference(resourceId('Microsoft.Compute/virtualMachines', variables('vmName')), '2024-11-01', 'Full').identity.principalId]",
          principalType: "ServicePrincipal",
        },
      },
      {
        type: "Microsoft.Authorization/roleAssignments",
        apiVersion: "2022-04-01",
        name: "[guid(resourceGroup().id, variables('identityName'), 'secrets')]",
        scope: "[resourceId('Microsoft.KeyVault/vaults', variables('vaultName'))]",
        dependsOn: [
          "[resourceId('Microsoft.KeyVault/vaults', variables('vaultName'))]",
          "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName'))]",
        ],
        properties: {
          roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${SECRETS_USER}')]`,
          principalId: "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName'))).principalId]",
          principalType: "ServicePrincipal",
        },
      },
    ],
    outputs: {
      vmPrincipalId: { type: "string", value: "[reference(resourceId('Microsoft.Compute/virtualMachines', variables('vmName')), '2024-11-01', 'Full').identity.principalId]" },
      identityClientId: { type: "string", value: "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName'))).clientId]" },
      vaultName: { type: "string", value: "[variables('vaultName')]" },
    },
  };
}

async function assignmentsOf(principalId: string, scope: string) {
  const r = await emulator.arm("GET", `${scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope() and principalId eq '${principalId}'`);
  return r.body.value as any[];
}

beforeAll(async () => {
  await emulator.start();
  sub = emulator.subscriptionPath;
  await emulator.createResourceGroup("dep-rg");
});
afterAll(() => emulator.dispose());

describe("a template with identities and role assignments", () => {
  let deployment: any;

  it("PUT applies everything in dependency order and answers the finished deployment", async () => {
    const r = await emulator.arm("PUT", deploymentPath("dep-rg", "identities"), {
      properties: { mode: "Incremental", template: identityTemplate(), parameters: { adminPassword: { value: "S3cret-Passw0rd!" } } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    deployment = r.body;
    expect(deployment.properties.provisioningState, JSON.stringify(deployment.properties.error)).toBe("Succeeded");
    expect(deployment.properties.parameters.adminPassword).toEqual({ type: "SecureString" });
    expect(deployment.properties.outputResources).toHaveLength(5);
  });

  it("the outputs name the principals the resources really have, and IMDS issues tokens for them", async () => {
    const vm = await emulator.arm("GET", emulator.vmPath("dep-rg", "dep-vm"));
    expect(vm.status).toBe(200);
    expect(JSON.stringify(vm.body)).not.toContain("S3cret-Passw0rd!");
    expect(deployment.properties.outputs.vmPrincipalId).toEqual({ type: "String", value: vm.body.identity.principalId });
    const uami = Object.values(vm.body.identity.userAssignedIdentities)[0] as any;
    expect(deployment.properties.outputs.identityClientId.value).toBe(uami.clientId);

    const base = await emulator.imdsEndpoint("dep-rg", "dep-vm");
    const system = await imds(`${base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    expect(decodeJwt(system.body.access_token).payload.oid).toBe(vm.body.identity.principalId);
    const user = await imds(`${base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&client_id=${uami.clientId}`);
    expect(decodeJwt(user.body.access_token).payload.oid).toBe(uami.principalId);
  });

  it("the role assignments name the principals from reference(), at their scopes, and grant access", async () => {
    const vm = (await emulator.arm("GET", emulator.vmPath("dep-rg", "dep-vm"))).body;
    const rgScope = `${sub}/resourceGroups/dep-rg`;
    const onGroup = await assignmentsOf(vm.identity.principalId, rgScope);
    expect(onGroup.map((a) => a.properties.roleDefinitionId.split("/").pop())).toEqual([READER]);
    const vaultScope = `${rgScope}/providers/Microsoft.KeyVault/vaults/${deployment.properties.outputs.vaultName.value}`;
    const uami = Object.values(vm.identity.userAssignedIdentities)[0] as any;
    const onVault = await assignmentsOf(uami.principalId, vaultScope);
    expect(onVault).toHaveLength(1);
    expect(onVault[0].properties.scope.toLowerCase()).toBe(vaultScope.toLowerCase());

    // The VM's own token now reads its resource group.
    const base = await emulator.imdsEndpoint("dep-rg", "dep-vm");
    const t = await imds(`${base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&bypass_cache=true`);
    expect((await emulator.arm("GET", emulator.rgPath("dep-rg"), undefined, t.body.access_token)).status).toBe(200);
  });

  it("a repeated PUT converges: the same resources, no duplicate assignments", async () => {
    const r = await emulator.arm("PUT", deploymentPath("dep-rg", "identities"), {
      properties: { mode: "Incremental", template: identityTemplate(), parameters: { adminPassword: { value: "S3cret-Passw0rd!" } } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.properties.provisioningState).toBe("Succeeded");
    expect(r.body.properties.outputs.vmPrincipalId.value).toBe(deployment.properties.outputs.vmPrincipalId.value);
    expect(await assignmentsOf(deployment.properties.outputs.vmPrincipalId.value, `${sub}/resourceGroups/dep-rg`)).toHaveLength(1);
  });

  it("GET, list, operations and exportTemplate", async () => {
    const got = await emulator.arm("GET", deploymentPath("dep-rg", "identities"));
    expect(got.body.properties.provisioningState).toBe("Succeeded");
    const list = await emulator.arm("GET", `${sub}/resourcegroups/dep-rg/providers/Microsoft.Resources/deployments/?api-version=${API}`);
    expect(list.body.value.map((d: any) => d.name)).toContain("identities");
    const ops = await emulator.arm("GET", deploymentPath("dep-rg", "identities", "/operations"));
    expect(ops.status).toBe(200);
    expect(ops.body.value).toHaveLength(5);
    expect(ops.body.value.every((o: any) => o.properties.provisioningState === "Succeeded")).toBe(true);
    const one = await emulator.arm("GET", `${sub}/resourcegroups/dep-rg/providers/Microsoft.Resources/deployments/identities/operations/${ops.body.value[0].operationId}?api-version=${API}`);
    expect(one.body.operationId).toBe(ops.body.value[0].operationId);
    const exported = await emulator.arm("POST", deploymentPath("dep-rg", "identities", "/exportTemplate"));
    expect(exported.body.template.resources).toHaveLength(5);
  });

  it("the unmodified Azure SDK deploys (@azure/arm-resourcesdeployments, where deployments live since @azure/arm-resources 7)", async () => {
    const client = new DeploymentsClient(emulator.adminCredential(), emulator.endpoints.subscriptionId, { endpoint: emulator.endpoints.arm });
    await emulator.createResourceGroup("sdk-rg");
    const result = await client.deployments.createOrUpdate("sdk-rg", "from-sdk", {
      properties: { mode: "Incremental", template: identityTemplate(), parameters: { prefix: { value: "sdk" }, adminPassword: { value: "An0ther-Passw0rd!" } } },
    });
    expect(result.properties?.provisioningState).toBe("Succeeded");
    expect((result.properties?.outputs as any).vmPrincipalId.value).toMatch(/^[0-9a-f-]{36}$/);
    const validated = await client.deployments.validate("sdk-rg", "check", {
      properties: { mode: "Incremental", template: identityTemplate(), parameters: { adminPassword: { value: "x" } } },
    });
    expect(validated.error).toBeUndefined();
  });
});

describe("refusals", () => {
  it("an unsupported function answers 400 InvalidTemplate naming it, and nothing is applied", async () => {
    const template = identityTemplate();
    template.resources[0]!.name = "[concat('x', pickZones('Microsoft.Compute', 'virtualMachines', 'westus'))]";
    const r = await emulator.arm("PUT", deploymentPath("dep-rg", "bad"), {
      properties: { mode: "Incremental", template: { ...template, parameters: { ...template.parameters, prefix: { type: "string", defaultValue: "bad" } } }, parameters: { adminPassword: { value: "x" } } },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("InvalidTemplate");
    expect(r.body.error.message).toContain("pickZones");
    expect((await emulator.arm("GET", emulator.vmPath("dep-rg", "bad-vm"))).status).toBe(404);
    expect((await emulator.arm("GET", deploymentPath("dep-rg", "bad"))).status).toBe(404);
  });

  it("a missing parameter and a value outside allowedValues are InvalidTemplate", async () => {
    const missing = await emulator.arm("PUT", deploymentPath("dep-rg", "noparam"), { properties: { mode: "Incremental", template: identityTemplate() } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain("adminPassword");
    const notAllowed = await emulator.arm("POST", deploymentPath("dep-rg", "noparam", "/validate"), {
      properties: { mode: "Incremental", template: identityTemplate(), parameters: { adminPassword: { value: "x" }, vmSize: { value: "Standard_Huge" } } },
    });
    expect(notAllowed.status).toBe(400);
    expect(notAllowed.body.error.code).toBe("InvalidTemplate");
  });

  it("bad deployment names and modes are refused before anything runs", async () => {
    const name = await emulator.arm("PUT", deploymentPath("dep-rg", "x".repeat(65)), { properties: { mode: "Incremental", template: { resources: [] } } });
    expect(name.status).toBe(400);
    const mode = await emulator.arm("PUT", deploymentPath("dep-rg", "m"), { properties: { mode: "Sometimes", template: { resources: [] } } });
    expect(mode.status).toBe(400);
    const noGroup = await emulator.arm("PUT", deploymentPath("no-such-rg", "m"), { properties: { mode: "Incremental", template: { resources: [] } } });
    expect(noGroup.status).toBe(404);
    expect(noGroup.body.error.code).toBe("ResourceGroupNotFound");
  });

  it("a deployment never grants more than its caller has: a Contributor's role assignment fails, the rest stays, the admin's re-PUT converges", async () => {
    await emulator.createResourceGroup("limited-rg");
    await emulator.createVm("dep-rg", "deployer", { type: "SystemAssigned" });
    const deployer = (await emulator.arm("GET", emulator.vmPath("dep-rg", "deployer"))).body.identity.principalId;
    const grant = await emulator.arm("PUT", `${sub}/resourceGroups/limited-rg/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`, principalId: deployer, principalType: "ServicePrincipal" },
    });
    expect(grant.status).toBe(201);
    const base = await emulator.imdsEndpoint("dep-rg", "deployer");
    const token = (await imds(`${base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`)).body.access_token;

    const body = { properties: { mode: "Incremental", template: identityTemplate(), parameters: { prefix: { value: "lim" }, adminPassword: { value: "x" } } } };
    const r = await emulator.arm("PUT", deploymentPath("limited-rg", "limited"), body, token);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.properties.provisioningState).toBe("Failed");
    expect(r.body.properties.error.code).toBe("DeploymentFailed");
    const codes = r.body.properties.error.details.map((d: any) => d.code);
    expect(codes).toEqual(["AuthorizationFailed", "AuthorizationFailed"]);
    // What the Contributor may do was applied; the assignments were not.
    expect((await emulator.arm("GET", emulator.vmPath("limited-rg", "lim-vm"))).status).toBe(200);
    const vmPrincipal = (await emulator.arm("GET", emulator.vmPath("limited-rg", "lim-vm"))).body.identity.principalId;
    expect(await assignmentsOf(vmPrincipal, `${sub}/resourceGroups/limited-rg`)).toHaveLength(0);
    const ops = await emulator.arm("GET", deploymentPath("limited-rg", "limited", "/operations"), undefined, token);
    expect(ops.body.value.filter((o: any) => o.properties.provisioningState === "Failed")).toHaveLength(2);

    const again = await emulator.arm("PUT", deploymentPath("limited-rg", "limited"), body);
    expect(again.body.properties.provisioningState).toBe("Succeeded");
    expect(await assignmentsOf(vmPrincipal, `${sub}/resourceGroups/limited-rg`)).toHaveLength(1);
  });
});

describe("subscription scope and clean-up", () => {
  it("a subscription deployment creates a resource group and a role assignment on it", async () => {
    const vm = (await emulator.arm("GET", emulator.vmPath("dep-rg", "dep-vm"))).body;
    const template = {
      $schema: "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      parameters: { principalId: { type: "string" } },
      resources: [
        { type: "Microsoft.Resources/resourceGroups", apiVersion: "2024-11-01", name: "sub-made-rg", location: "eastus" },
        {
          type: "Microsoft.Authorization/roleAssignments",
          apiVersion: "2022-04-01",
          name: "[guid(subscription().id, parameters('principalId'))]",
          properties: {
            roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${READER}')]`,
            principalId: "[parameters('principalId')]",
            principalType: "ServicePrincipal",
          },
        },
      ],
      outputs: { group: { type: "string", value: "[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'sub-made-rg')]" } },
    };
    const path = `${sub}/providers/Microsoft.Resources/deployments/sub-dep?api-version=${API}`;
    const noLocation = await emulator.arm("PUT", path, { properties: { mode: "Incremental", template, parameters: { principalId: { value: vm.identity.principalId } } } });
    expect(noLocation.status).toBe(400);
    const r = await emulator.arm("PUT", path, { location: "eastus", properties: { mode: "Incremental", template, parameters: { principalId: { value: vm.identity.principalId } } } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.properties.provisioningState).toBe("Succeeded");
    // subscriptionResourceId() keeps the providers form for resource groups too, as Azure documents it.
    expect(r.body.properties.outputs.group.value).toBe(`${sub}/providers/Microsoft.Resources/resourceGroups/sub-made-rg`);
    expect((await emulator.arm("GET", emulator.rgPath("sub-made-rg"))).status).toBe(200);
    expect(await assignmentsOf(vm.identity.principalId, sub)).toHaveLength(1);
    expect((await emulator.arm("GET", path)).body.location).toBe("eastus");
  });

  it("deleting a deployment removes its history only; deleting the group removes its deployments", async () => {
    const del = await emulator.arm("DELETE", deploymentPath("dep-rg", "identities"));
    expect(del.status).toBe(200);
    expect((await emulator.arm("GET", deploymentPath("dep-rg", "identities"))).body.error.code).toBe("DeploymentNotFound");
    expect((await emulator.arm("GET", emulator.vmPath("dep-rg", "dep-vm"))).status).toBe(200);
    const group = await emulator.arm("DELETE", emulator.rgPath("sdk-rg"));
    expect(group.status).toBe(200);
    expect((await emulator.arm("GET", deploymentPath("sdk-rg", "from-sdk"))).status).toBe(404);
  });
});
