// The templates `az vm create` (2.74) sends (reference §7.2–7.3): literal ids, JSON nulls, 2015
// api-versions, `Type/name` dependsOn in other casing, a securestring password, and the
// --scope/--role assignment with reference(…, 'Full').identity.principalId.
import { describe, expect, it } from "vitest";
import { prepareDeployment } from "../../workers/arm/src/providers/resources/template";
import { fakeRuntime, RG_ID, SCOPE, SUB } from "./template-helpers";

const L = "westus";
const U = "azureuser";
const NET = `${RG_ID}/providers/Microsoft.Network`;
const VM_ID = `${RG_ID}/providers/Microsoft.Compute/virtualMachines/vm1`;
const CONTRIBUTOR = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c`;
const ASSIGNMENT_GUID = "9a2b6c8e-5d3f-4c1a-8e7b-0f1d2c3b4a59";

interface Options {
  windows?: boolean;
  secondVm?: boolean;
  /** --scope: a resource group id, the subscription, or a resource id. */
  scope?: string;
}

/** The template as az 2.74's _template_builder writes it (key order and nulls included). */
function azTemplate(options: Options = {}): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  if (!options.secondVm) {
    resources.push({
      name: "vm1VNET",
      type: "Microsoft.Network/virtualNetworks",
      location: L,
      apiVersion: "2015-06-15",
      dependsOn: [],
      tags: {},
      properties: { addressSpace: { addressPrefixes: ["10.0.0.0/16"] }, subnets: [{ name: "vm1Subnet", properties: { addressPrefix: "10.0.0.0/24" } }] },
    });
  }
  const [ruleName, port] = options.windows ? ["rdp", "3389"] : ["default-allow-ssh", "22"];
  resources.push(
    {
      type: "Microsoft.Network/networkSecurityGroups",
      name: "vm1NSG",
      apiVersion: "2015-06-15",
      location: L,
      tags: {},
      dependsOn: [],
      properties: {
        securityRules: [
          {
            name: ruleName,
            properties: {
              protocol: "Tcp",
              sourcePortRange: "*",
              destinationPortRange: port,
              sourceAddressPrefix: "*",
              destinationAddressPrefix: "*",
              access: "Allow",
              priority: 1000,
              direction: "Inbound",
            },
          },
        ],
      },
    },
    {
      apiVersion: "2022-01-01",
      type: "Microsoft.Network/publicIPAddresses",
      name: "vm1PublicIP",
      location: L,
      tags: {},
      dependsOn: [],
      properties: { publicIPAllocationMethod: "Static" },
      sku: { name: "Standard" },
    },
    {
      apiVersion: "2015-06-15",
      type: "Microsoft.Network/networkInterfaces",
      name: "vm1VMNic",
      location: L,
      tags: {},
      dependsOn: [
        ...(options.secondVm ? [] : ["Microsoft.Network/virtualNetworks/vm1VNET"]),
        "Microsoft.Network/networkSecurityGroups/vm1NSG",
        "Microsoft.Network/publicIpAddresses/vm1PublicIP",
      ],
      properties: {
        ipConfigurations: [
          {
            name: "ipconfigvm1",
            properties: {
              privateIPAllocationMethod: "Dynamic",
              subnet: { id: `${NET}/virtualNetworks/vm1VNET/subnets/vm1Subnet` },
              publicIPAddress: { id: `${NET}/publicIPAddresses/vm1PublicIP` },
            },
          },
        ],
        networkSecurityGroup: { id: `${NET}/networkSecurityGroups/vm1NSG` },
      },
    },
    {
      apiVersion: "2024-11-01",
      type: "Microsoft.Compute/virtualMachines",
      name: "vm1",
      location: L,
      tags: {},
      dependsOn: ["Microsoft.Network/networkInterfaces/vm1VMNic"],
      properties: {
        hardwareProfile: { vmSize: "Standard_DS1_v2" },
        networkProfile: { networkInterfaces: [{ id: `${NET}/networkInterfaces/vm1VMNic`, properties: { deleteOption: null } }] },
        storageProfile: {
          osDisk: { createOption: "fromImage", name: null, caching: "ReadWrite", managedDisk: { storageAccountType: null } },
          imageReference: options.windows
            ? { publisher: "MicrosoftWindowsServer", offer: "WindowsServer", sku: "2016-datacenter-gensecond", version: "latest" }
            : { publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2", version: "latest" },
        },
        osProfile: options.windows
          ? { computerName: "vm1", adminUsername: U, adminPassword: "[parameters('adminPassword')]" }
          : {
              computerName: "vm1",
              adminUsername: U,
              linuxConfiguration: {
                disablePasswordAuthentication: true,
                ssh: { publicKeys: [{ keyData: "ssh-rsa AAAAB3NzaC1yc2E test@host", path: `/home/${U}/.ssh/authorized_keys` }] },
              },
            },
        securityProfile: { securityType: "TrustedLaunch", uefiSettings: { secureBootEnabled: true, vTpmEnabled: true } },
      },
      identity: { type: "SystemAssigned" },
    },
  );
  if (options.scope) {
    const resourceScope = /\/providers\//i.test(options.scope);
    const [, ns, type, name] = /\/providers\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(options.scope) ?? [];
    resources.push({
      type: resourceScope ? `${ns}/${type}/providers/roleAssignments` : "Microsoft.Authorization/roleAssignments",
      name: resourceScope ? `${name}/Microsoft.Authorization/${ASSIGNMENT_GUID}` : ASSIGNMENT_GUID,
      apiVersion: "2015-07-01",
      dependsOn: ["Microsoft.Compute/virtualMachines/vm1"],
      properties: {
        roleDefinitionId: CONTRIBUTOR,
        principalId: `[reference('${VM_ID}', '2019-07-01', 'Full').identity.principalId]`,
        scope: options.scope,
      },
    });
  }
  return {
    $schema: "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: options.windows ? { adminPassword: { type: "securestring", metadata: { description: "Secure adminPassword" } } } : {},
    variables: {},
    resources,
    outputs: {},
  };
}

const PRINCIPAL = "7c4f1a2e-9b3d-4e8f-a6c5-1d2e3f4a5b6c";
const vmRuntime = () =>
  fakeRuntime({
    [VM_ID]: {
      id: VM_ID,
      name: "vm1",
      type: "Microsoft.Compute/virtualMachines",
      location: L,
      identity: { type: "SystemAssigned", principalId: PRINCIPAL, tenantId: SCOPE.tenantId },
      properties: { vmId: "0f0e0d0c-0000-4000-8000-000000000001", provisioningState: "Succeeded" },
    },
  });

describe("az vm create templates", () => {
  it("plans the default Linux template in dependency order with literal ids", async () => {
    const prepared = await prepareDeployment(azTemplate(), {}, SCOPE);
    expect(prepared.parameters).toEqual({});
    expect(prepared.resources.map((r) => [r.id, r.type, r.name, r.apiVersion])).toEqual([
      [`${NET}/virtualNetworks/vm1VNET`, "Microsoft.Network/virtualNetworks", "vm1VNET", "2015-06-15"],
      [`${NET}/networkSecurityGroups/vm1NSG`, "Microsoft.Network/networkSecurityGroups", "vm1NSG", "2015-06-15"],
      [`${NET}/publicIPAddresses/vm1PublicIP`, "Microsoft.Network/publicIPAddresses", "vm1PublicIP", "2022-01-01"],
      [`${NET}/networkInterfaces/vm1VMNic`, "Microsoft.Network/networkInterfaces", "vm1VMNic", "2015-06-15"],
      [VM_ID, "Microsoft.Compute/virtualMachines", "vm1", "2024-11-01"],
    ]);
    expect(prepared.resources[3]!.dependsOn).toEqual([`${NET}/virtualNetworks/vm1VNET`, `${NET}/networkSecurityGroups/vm1NSG`, `${NET}/publicIPAddresses/vm1PublicIP`]);
    expect(prepared.resources[4]!.dependsOn).toEqual([`${NET}/networkInterfaces/vm1VMNic`]);
    expect(prepared.resources.every((r) => r.condition)).toBe(true);
    expect(await prepared.outputs(vmRuntime())).toEqual({});
  });

  it("evaluates the VM body without nulls and without template bookkeeping", async () => {
    const prepared = await prepareDeployment(azTemplate(), {}, SCOPE);
    const vm = await prepared.evaluate(prepared.resources[4]!, vmRuntime());
    expect(Object.keys(vm).sort()).toEqual(["identity", "location", "properties", "tags"]);
    expect(vm.identity).toEqual({ type: "SystemAssigned" });
    const properties = vm.properties as Record<string, any>;
    expect(properties.networkProfile).toEqual({ networkInterfaces: [{ id: `${NET}/networkInterfaces/vm1VMNic`, properties: {} }] });
    expect(properties.storageProfile.osDisk).toEqual({ createOption: "fromImage", caching: "ReadWrite", managedDisk: {} });
    expect(properties.osProfile.linuxConfiguration.ssh.publicKeys[0].path).toBe("/home/azureuser/.ssh/authorized_keys");
    const nic = await prepared.evaluate(prepared.resources[3]!, vmRuntime());
    expect(nic).toEqual({ location: L, tags: {}, properties: (azTemplate().resources as any[])[3].properties });
  });

  it("orders a second VM's template (no VNet) and keeps Type/name dependsOn in other casing", async () => {
    const prepared = await prepareDeployment(azTemplate({ secondVm: true }), {}, SCOPE);
    expect(prepared.resources.map((r) => r.name)).toEqual(["vm1NSG", "vm1PublicIP", "vm1VMNic", "vm1"]);
    expect(prepared.resources[2]!.dependsOn).toEqual([`${NET}/networkSecurityGroups/vm1NSG`, `${NET}/publicIPAddresses/vm1PublicIP`]);
  });

  it("takes the Windows password as a securestring parameter and never echoes it", async () => {
    const password = "Sup3r-Secret-Passw0rd!";
    const prepared = await prepareDeployment(azTemplate({ windows: true }), { adminPassword: { value: password } }, SCOPE);
    expect(prepared.parameters).toEqual({ adminPassword: { type: "SecureString" } });
    expect(JSON.stringify(prepared.parameters)).not.toContain(password);
    const vm = await prepared.evaluate(prepared.resources.find((r) => r.name === "vm1")!, vmRuntime());
    expect((vm.properties as any).osProfile).toEqual({ computerName: "vm1", adminUsername: U, adminPassword: password });
    const missing = await prepareDeployment(azTemplate({ windows: true }), {}, SCOPE).catch((e: Error) => e);
    expect((missing as Error).message).toContain("The value for the template parameter 'adminPassword' at line '1' and column '1' is not provided");
  });

  it("--scope on the resource group: the assignment follows the VM and reads its principalId through reference(…, 'Full')", async () => {
    const prepared = await prepareDeployment(azTemplate({ scope: RG_ID }), {}, SCOPE);
    const assignment = prepared.resources.at(-1)!;
    expect(prepared.resources.map((r) => r.name)).toEqual(["vm1VNET", "vm1NSG", "vm1PublicIP", "vm1VMNic", "vm1", ASSIGNMENT_GUID]);
    expect(assignment).toMatchObject({
      id: `${RG_ID}/providers/Microsoft.Authorization/roleAssignments/${ASSIGNMENT_GUID}`,
      type: "Microsoft.Authorization/roleAssignments",
      name: ASSIGNMENT_GUID,
      apiVersion: "2015-07-01",
      dependsOn: [VM_ID],
    });
    const runtime = vmRuntime();
    expect(await prepared.evaluate(assignment, runtime)).toEqual({ properties: { roleDefinitionId: CONTRIBUTOR, principalId: PRINCIPAL, scope: RG_ID } });
    expect(runtime.calls).toEqual([[VM_ID, "2019-07-01"]]);
  });

  it("--scope on a resource: the legacy nested form becomes an assignment at that resource", async () => {
    const vault = `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv1`;
    const prepared = await prepareDeployment(azTemplate({ scope: vault }), {}, SCOPE);
    const assignment = prepared.resources.at(-1)!;
    expect(assignment).toMatchObject({
      id: `${vault}/providers/Microsoft.Authorization/roleAssignments/${ASSIGNMENT_GUID}`,
      type: "Microsoft.Authorization/roleAssignments",
      name: ASSIGNMENT_GUID,
      dependsOn: [VM_ID],
    });
    expect(await prepared.evaluate(assignment, vmRuntime())).toEqual({ properties: { roleDefinitionId: CONTRIBUTOR, principalId: PRINCIPAL, scope: vault } });
  });

  it("--scope on the subscription: planned at the deployment's resource group like Azure's resourceId()", async () => {
    const prepared = await prepareDeployment(azTemplate({ scope: `/subscriptions/${SUB}` }), {}, SCOPE);
    expect(prepared.resources.at(-1)!.id).toBe(`${RG_ID}/providers/Microsoft.Authorization/roleAssignments/${ASSIGNMENT_GUID}`);
  });

  it("reports a VM that is gone when the assignment is evaluated", async () => {
    const prepared = await prepareDeployment(azTemplate({ scope: RG_ID }), {}, SCOPE);
    const e = await prepared.evaluate(prepared.resources.at(-1)!, fakeRuntime()).catch((x: Error & { code?: string }) => x);
    expect((e as { code?: string }).code).toBe("ResourceNotFound");
  });
});
