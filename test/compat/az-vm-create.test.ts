// `az vm create` (the seed's first command) and `az deployment group create` with the real Azure
// CLI: images, the network az builds around a VM, the deployment it sends, and the identities the
// created VM really has.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeJwt, imds, TestEmulator } from "../support/emulator.ts";
import { ChrootSession } from "./az-root.ts";

const RG = "vmc-rg";

let emulator: TestEmulator;
let az: ChrootSession;
let sub: string;

async function imdsToken(vmId: string, query = ""): Promise<any> {
  const { endpoint } = await az.az(["rest", "--method", "post", "--url", `${vmId}/listImdsEndpoint?api-version=2024-11-01`]);
  const token = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/${query}`);
  expect(token.status, JSON.stringify(token.body)).toBe(200);
  return decodeJwt(token.body.access_token).payload;
}

beforeAll(async () => {
  emulator = await new TestEmulator().start();
  sub = emulator.endpoints.subscriptionId;
  az = new ChrootSession("azvm", emulator.endpoints.caCertificate);
  const e = emulator.endpoints;
  await az.az(["cloud", "register", "-n", "Emulator", "--endpoint-resource-manager", `${e.arm}/`]);
  await az.az(["cloud", "set", "-n", "Emulator"]);
  await az.az(["login", "--service-principal", "-u", e.admin.clientId, "-p", e.admin.clientSecret, "--tenant", e.tenantId]);
  await az.az(["group", "create", "-n", RG, "-l", "westus"]);
  await az.az(["identity", "create", "-g", RG, "-n", "vmc-id"]);
});

afterAll(async () => {
  az?.dispose();
  await emulator?.dispose();
});

describe("az vm create", () => {
  test("--image Ubuntu2204 --generate-ssh-keys --assign-identity: a running VM whose IMDS issues tokens for the identity az printed", async () => {
    const vm = await az.az(["vm", "create", "-g", RG, "-n", "myVM", "--image", "Ubuntu2204", "--generate-ssh-keys", "--assign-identity"]);
    expect(vm.powerState).toBe("VM running");
    expect(vm.privateIpAddress).toMatch(/^10\.0\.0\.\d+$/);
    expect(vm.publicIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(vm.identity.systemAssignedIdentity).toMatch(/^[0-9a-f-]{36}$/);
    const claims = await imdsToken(vm.id);
    expect(claims.oid).toBe(vm.identity.systemAssignedIdentity);
    expect(claims.xms_mirid.toLowerCase()).toBe(vm.id.toLowerCase());
  });

  test("--assign-identity <user-assigned name> and [system] <id>", async () => {
    const identity = await az.az(["identity", "show", "-g", RG, "-n", "vmc-id"]);
    const userOnly = await az.az(["vm", "create", "-g", RG, "-n", "userVM", "--image", "Debian12", "--generate-ssh-keys", "--assign-identity", "vmc-id"]);
    expect(Object.keys(userOnly.identity.userAssignedIdentities).map((k) => k.toLowerCase())).toEqual([identity.id.toLowerCase()]);
    expect((await imdsToken(userOnly.id, `&client_id=${identity.clientId}`)).oid).toBe(identity.principalId);

    const both = await az.az(["vm", "create", "-g", RG, "-n", "bothVM", "--image", "Ubuntu2404", "--generate-ssh-keys", "--assign-identity", "[system]", identity.id]);
    expect(both.identity.systemAssignedIdentity).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(both.identity.userAssignedIdentities)).toHaveLength(1);
    expect((await imdsToken(both.id)).oid).toBe(both.identity.systemAssignedIdentity);
  });

  test("the seed's command verbatim (win2016datacenter, --generate-ssh-keys, --admin-password): the password is never stored or echoed", async () => {
    const password = "myPassword12";
    const vm = await az.az([
      "vm", "create", "--resource-group", RG, "--name", "winVM", "--image", "win2016datacenter", "--generate-ssh-keys", "--assign-identity",
      "--admin-username", "azureuser", "--admin-password", password,
    ]);
    expect(vm.identity.systemAssignedIdentity).toMatch(/^[0-9a-f-]{36}$/);
    expect(vm.powerState).toBe("VM running");
    const shown = await az.run(["az", "vm", "show", "-g", RG, "-n", "winVM", "-o", "json"]);
    expect(shown.stdout).not.toContain(password);
    expect(JSON.parse(shown.stdout).storageProfile.osDisk.osType).toBe("Windows");
    const deployments = await az.az(["deployment", "group", "list", "-g", RG]);
    expect(JSON.stringify(deployments)).not.toContain(password);
    const windows = deployments.find((d: any) => JSON.stringify(d.properties.parameters ?? {}).includes("adminPassword"));
    expect(windows.properties.parameters.adminPassword).toEqual({ type: "SecureString" });
  });

  test("the seed's user-assigned command verbatim, with its retired UbuntuLTS alias (served by the emulator's alias document)", async () => {
    const identity = await az.az(["identity", "show", "-g", RG, "-n", "vmc-id"]);
    const vm = await az.az([
      "vm", "create", "--resource-group", RG, "--name", "ltsVM", "--image", "UbuntuLTS", "--admin-username", "azureuser",
      "--admin-password", "myPassword12!", "--assign-identity", "vmc-id",
    ]);
    expect(Object.keys(vm.identity.userAssignedIdentities).map((k) => k.toLowerCase())).toEqual([identity.id.toLowerCase()]);
    const shown = await az.az(["vm", "show", "-g", RG, "-n", "ltsVM"]);
    expect(shown.storageProfile.imageReference).toMatchObject({ publisher: "Canonical", offer: "UbuntuServer", sku: "18.04-LTS" });
    await az.az(["vm", "delete", "-g", RG, "-n", "ltsVM", "--yes"]);
  });

  test("an unknown image is refused as az reports it, and nothing is created", async () => {
    const r = await az.azRaw(["vm", "create", "-g", RG, "-n", "badVM", "--image", "NoSuchImage", "--generate-ssh-keys"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("NoSuchImage");
    expect((await emulator.arm("GET", emulator.vmPath(RG, "badVM"))).status).toBe(404);
  });

  test("az vm show -d, az vm list, az network vnet list, az network nic show, az resource list", async () => {
    const detailed = await az.az(["vm", "show", "-d", "-g", RG, "-n", "myVM"]);
    expect(detailed).toMatchObject({ powerState: "VM running", name: "myVM" });
    expect(detailed.privateIps).toMatch(/^10\.0\.0\.\d+$/);
    expect((await az.az(["vm", "list", "-g", RG])).map((v: any) => v.name).sort()).toEqual(["bothVM", "myVM", "userVM", "winVM"]);
    const vnets = await az.az(["network", "vnet", "list", "-g", RG]);
    expect(vnets.length).toBeGreaterThanOrEqual(1);
    expect(vnets[0].subnets[0].addressPrefix).toBe("10.0.0.0/24");
    const nic = await az.az(["network", "nic", "show", "-g", RG, "-n", "myVMVMNic"]);
    expect(nic.virtualMachine.id.toLowerCase()).toBe(detailed.id.toLowerCase());
    const resources = await az.az(["resource", "list", "-g", RG]);
    const types = new Set(resources.map((r: any) => r.type));
    for (const t of [
      "Microsoft.Compute/virtualMachines",
      "Microsoft.Network/networkInterfaces",
      "Microsoft.Network/publicIPAddresses",
      "Microsoft.Network/networkSecurityGroups",
      "Microsoft.Network/virtualNetworks",
      "Microsoft.ManagedIdentity/userAssignedIdentities",
    ]) expect(types).toContain(t);
  });

  test("az vm delete --yes: the VM's principal leaves the directory", async () => {
    const vm = await az.az(["vm", "show", "-g", RG, "-n", "myVM"]);
    const principalId = vm.identity.principalId;
    expect((await az.az(["ad", "sp", "show", "--id", principalId])).id).toBe(principalId);
    await az.az(["vm", "delete", "-g", RG, "-n", "myVM", "--yes"]);
    expect((await emulator.arm("GET", emulator.vmPath(RG, "myVM"))).status).toBe(404);
    const gone = await az.azRaw(["ad", "sp", "show", "--id", principalId]);
    expect(gone.code).not.toBe(0);
  });
});

describe("az deployment group create", () => {
  test("a template with a user-assigned identity, a VM with it and a system-assigned one, a vault and role assignments", async () => {
    const template = {
      $schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      contentVersion: "1.0.0.0",
      parameters: { prefix: { type: "string", defaultValue: "tpl" } },
      variables: { vault: "[concat(parameters('prefix'), uniqueString(resourceGroup().id))]" },
      resources: [
        { type: "Microsoft.ManagedIdentity/userAssignedIdentities", apiVersion: "2023-01-31", name: "[concat(parameters('prefix'), '-id')]", location: "[resourceGroup().location]" },
        {
          type: "Microsoft.Compute/virtualMachines",
          apiVersion: "2024-11-01",
          name: "[concat(parameters('prefix'), '-vm')]",
          location: "[resourceGroup().location]",
          dependsOn: ["[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', concat(parameters('prefix'), '-id'))]"],
          identity: {
            type: "SystemAssigned,UserAssigned",
            userAssignedIdentities: { "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', concat(parameters('prefix'), '-id'))]": {} },
          },
          properties: { hardwareProfile: { vmSize: "Standard_B1s" } },
        },
        {
          type: "Microsoft.KeyVault/vaults",
          apiVersion: "2023-07-01",
          name: "[variables('vault')]",
          location: "[resourceGroup().location]",
          properties: { tenantId: "[subscription().tenantId]", sku: { family: "A", name: "standard" }, enableRbacAuthorization: true },
        },
        {
          type: "Microsoft.Authorization/roleAssignments",
          apiVersion: "2022-04-01",
          name: "[guid(resourceGroup().id, 'vm-reader')]",
          dependsOn: ["[resourceId('Microsoft.Compute/virtualMachines', concat(parameters('prefix'), '-vm'))]"],
          properties: {
            roleDefinitionId: "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')]",
            principalId: "[reference(resourceId('Microsoft.Compute/virtualMachines', concat(parameters('prefix'), '-vm')), '2024-11-01', 'Full').identity.principalId]",
            principalType: "ServicePrincipal",
          },
        },
        {
          type: "Microsoft.Authorization/roleAssignments",
          apiVersion: "2022-04-01",
          name: "[guid(resourceGroup().id, 'id-secrets')]",
          scope: "[resourceId('Microsoft.KeyVault/vaults', variables('vault'))]",
          dependsOn: ["[resourceId('Microsoft.KeyVault/vaults', variables('vault'))]"],
          properties: {
            roleDefinitionId: "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')]",
            principalId: "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', concat(parameters('prefix'), '-id'))).principalId]",
            principalType: "ServicePrincipal",
          },
        },
      ],
      outputs: {
        vmPrincipalId: { type: "string", value: "[reference(resourceId('Microsoft.Compute/virtualMachines', concat(parameters('prefix'), '-vm')), '2024-11-01', 'Full').identity.principalId]" },
        vaultName: { type: "string", value: "[variables('vault')]" },
      },
    };
    const file = az.writeFile("template.json", JSON.stringify(template));
    const created = await az.az(["deployment", "group", "create", "-g", RG, "-n", "tpl", "--template-file", file]);
    expect(created.properties.provisioningState).toBe("Succeeded");
    const shown = await az.az(["deployment", "group", "show", "-g", RG, "-n", "tpl"]);
    const vm = await az.az(["vm", "show", "-g", RG, "-n", "tpl-vm"]);
    expect(shown.properties.outputs.vmPrincipalId.value).toBe(vm.identity.principalId);
    const readers = await az.az(["role", "assignment", "list", "--assignee", vm.identity.principalId, "-g", RG]);
    expect(readers.map((a: any) => a.roleDefinitionName)).toEqual(["Reader"]);
    const identity = await az.az(["identity", "show", "-g", RG, "-n", "tpl-id"]);
    const vaultId = `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.KeyVault/vaults/${shown.properties.outputs.vaultName.value}`;
    const onVault = await az.az(["role", "assignment", "list", "--assignee", identity.principalId, "--scope", vaultId]);
    expect(onVault.map((a: any) => a.roleDefinitionName)).toEqual(["Key Vault Secrets User"]);
    expect((await imdsToken(vm.id)).oid).toBe(vm.identity.principalId);
  });
});
