// Microsoft.Network: virtual networks and subnets, NSGs, public IPs and NICs stored and read back in
// Azure's shape; references checked on write with the Network RP's errors; private addresses
// allocated from the subnet; NIC ↔ VM links; resource group cascades; linked access on joins.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARM_API, TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

const emulator = TestEmulator.shared();
const NET_API = "2022-01-01";
const TEMPLATE_API = "2015-06-15";
const RG = "net-rg";
const ETAG = /^W\/"[0-9a-f-]{36}"$/;

let sub: string;
let subscriptionId: string;

beforeAll(async () => {
  await emulator.start();
  sub = emulator.subscriptionPath;
  subscriptionId = emulator.endpoints.subscriptionId;
  await emulator.createResourceGroup(RG);
});
afterAll(() => emulator.dispose());

const idOf = (type: string, name: string, rg = RG) => `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/${type}/${name}`;
const url = (id: string, api = NET_API) => `${id}?api-version=${api}`;
const put = (id: string, body: unknown, api = NET_API) => emulator.arm("PUT", url(id, api), body);
const get = (id: string, api = NET_API) => emulator.arm("GET", url(id, api));
const del = (id: string, api = NET_API) => emulator.arm("DELETE", url(id, api));

function vnetBody(subnets: { name: string; prefix: string; nsg?: string }[] = [{ name: "default", prefix: "10.0.0.0/24" }], location = "westus") {
  return {
    location,
    tags: {},
    properties: {
      addressSpace: { addressPrefixes: ["10.0.0.0/16"] },
      subnets: subnets.map((s) => ({ name: s.name, properties: { addressPrefix: s.prefix, ...(s.nsg ? { networkSecurityGroup: { id: s.nsg } } : {}) } })),
    },
  };
}

function nicBody(subnetId: string, extra: { publicIp?: string; nsg?: string; staticAddress?: string; location?: string } = {}) {
  return {
    location: extra.location ?? "westus",
    tags: {},
    properties: {
      ipConfigurations: [
        {
          name: "ipconfig1",
          properties: {
            privateIPAllocationMethod: extra.staticAddress ? "Static" : "Dynamic",
            ...(extra.staticAddress ? { privateIPAddress: extra.staticAddress } : {}),
            subnet: { id: subnetId },
            ...(extra.publicIp ? { publicIPAddress: { id: extra.publicIp } } : {}),
          },
        },
      ],
      ...(extra.nsg ? { networkSecurityGroup: { id: extra.nsg } } : {}),
    },
  };
}

const NSG_BODY = {
  location: "westus",
  tags: {},
  properties: {
    securityRules: [
      {
        name: "default-allow-ssh",
        properties: { protocol: "Tcp", sourcePortRange: "*", destinationPortRange: "22", sourceAddressPrefix: "*", destinationAddressPrefix: "*", access: "Allow", priority: 1000, direction: "Inbound" },
      },
    ],
  },
};

function missing(referenced: string, referrer: string) {
  return {
    code: "InvalidResourceReference",
    message: `Resource ${referenced} referenced by resource ${referrer} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
  };
}

function expectEnvelope(doc: any, type: string, id: string) {
  expect(doc).toMatchObject({ id, name: id.split("/").pop(), type, location: "westus", tags: expect.any(Object) });
  expect(doc.etag).toMatch(ETAG);
  expect(doc.properties.provisioningState).toBe("Succeeded");
  expect(doc.properties.resourceGuid).toMatch(/^[0-9a-f-]{36}$/);
}

function vmBody(nics: string[], extra: Record<string, unknown> = {}) {
  return {
    location: "westus",
    ...extra,
    properties: {
      hardwareProfile: { vmSize: "Standard_DS1_v2" },
      storageProfile: { imageReference: { publisher: "Canonical", offer: "0001-com-ubuntu-server-jammy", sku: "22_04-lts-gen2", version: "latest" } },
      osProfile: { computerName: "vm", adminUsername: "azureuser", adminPassword: "Secret-Passw0rd!" },
      networkProfile: { networkInterfaces: nics.map((id) => ({ id, properties: { deleteOption: null } })) },
    },
  };
}

describe("virtual networks and subnets", () => {
  let vnet: string;
  beforeAll(() => {
    vnet = idOf("virtualNetworks", "vnet1");
  });

  it("PUT/GET/list a VNet in Azure's shape; a second PUT keeps the resourceGuid and changes the etag", async () => {
    const created = await put(vnet, { ...vnetBody(), location: "West US", tags: { env: "test" } }, TEMPLATE_API);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expectEnvelope(created.body, "Microsoft.Network/virtualNetworks", vnet);
    expect(created.body.tags).toEqual({ env: "test" });
    expect(created.body.properties.addressSpace).toEqual({ addressPrefixes: ["10.0.0.0/16"] });
    expect(created.body.properties.subnets).toEqual([
      {
        id: `${vnet}/subnets/default`,
        name: "default",
        type: "Microsoft.Network/virtualNetworks/subnets",
        etag: created.body.etag,
        properties: expect.objectContaining({ addressPrefix: "10.0.0.0/24", provisioningState: "Succeeded" }),
      },
    ]);
    expect(created.body.properties.subnets[0].properties.ipConfigurations).toBeUndefined();

    const read = await get(vnet);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const again = await put(vnet, vnetBody());
    expect(again.status).toBe(200);
    expect(again.body.properties.resourceGuid).toBe(created.body.properties.resourceGuid);
    expect(again.body.etag).not.toBe(created.body.etag);
    expect(again.body.tags).toEqual({});

    const inGroup = await emulator.arm("GET", `${sub}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks?api-version=${NET_API}`);
    expect(inGroup.body.value.map((v: any) => v.id)).toEqual([vnet]);
    const inSubscription = await emulator.arm("GET", `${sub}/providers/Microsoft.Network/virtualNetworks?api-version=${NET_API}`);
    expect(inSubscription.body.value.map((v: any) => v.id)).toContain(vnet);
  });

  it("subnets as a child type: PUT, GET, list and DELETE change the VNet's document; no PATCH", async () => {
    const subnet = `${vnet}/subnets/extra`;
    const created = await put(subnet, { properties: { addressPrefix: "10.0.1.0/24" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: subnet, name: "extra", type: "Microsoft.Network/virtualNetworks/subnets", properties: { addressPrefix: "10.0.1.0/24", provisioningState: "Succeeded" } });
    expect(created.body.etag).toMatch(ETAG);
    expect((await put(subnet, { properties: { addressPrefix: "10.0.1.0/24" } })).status).toBe(200);
    expect((await get(subnet)).body).toMatchObject({ id: subnet, properties: { addressPrefix: "10.0.1.0/24" } });

    const list = await emulator.arm("GET", `${vnet}/subnets?api-version=${NET_API}`);
    expect(list.body.value.map((s: any) => s.name)).toEqual(["default", "extra"]);
    expect((await get(vnet)).body.properties.subnets.map((s: any) => s.name)).toEqual(["default", "extra"]);

    const patch = await emulator.arm("PATCH", url(subnet), { properties: { addressPrefix: "10.0.2.0/24" } });
    expect(patch.status).toBe(405);

    expect((await del(subnet)).status).toBe(200);
    const gone = await get(subnet);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("ResourceNotFound");
    expect((await del(subnet)).status).toBe(204);
    expect((await get(vnet)).body.properties.subnets.map((s: any) => s.name)).toEqual(["default"]);

    const orphan = await put(`${idOf("virtualNetworks", "no-such-vnet")}/subnets/s`, { properties: { addressPrefix: "10.0.0.0/24" } });
    expect(orphan.status).toBe(404);
  });

  it("subnet prefixes must be valid, inside the address space and not overlap", async () => {
    const outside = await put(idOf("virtualNetworks", "bad-vnet"), vnetBody([{ name: "s1", prefix: "10.1.0.0/24" }]));
    expect(outside.status).toBe(400);
    expect(outside.body.error).toEqual({
      code: "NetcfgSubnetRangeOutsideVnet",
      message: "Subnet 's1' is not valid because its IP address range is outside the IP address range of virtual network 'bad-vnet'.",
    });
    const overlap = await put(idOf("virtualNetworks", "bad-vnet"), vnetBody([{ name: "s1", prefix: "10.0.0.0/24" }, { name: "s2", prefix: "10.0.0.128/25" }]));
    expect(overlap.body.error.code).toBe("NetcfgSubnetRangesOverlap");
    const misaligned = await put(idOf("virtualNetworks", "bad-vnet"), vnetBody([{ name: "s1", prefix: "10.0.0.1/24" }]));
    expect(misaligned.status).toBe(400);
    expect(misaligned.body.error.code).toBe("InvalidCIDRNotation");
    expect(misaligned.body.error.message).toContain("should be 10.0.0.0/24");
    const childOverlap = await put(`${vnet}/subnets/clash`, { properties: { addressPrefix: "10.0.0.0/25" } });
    expect(childOverlap.body.error.code).toBe("NetcfgSubnetRangesOverlap");
    expect((await get(idOf("virtualNetworks", "bad-vnet"))).status).toBe(404);
  });

  it("names follow Azure's rule for network resources (InvalidResourceName)", async () => {
    for (const name of ["-lead", "trail-", "trail.", "sp ace", "x".repeat(81), "a!b"]) {
      const r = await put(idOf("virtualNetworks", encodeURIComponent(name)), vnetBody());
      expect(r.status, name).toBe(400);
      expect(r.body.error.code).toBe("InvalidResourceName");
    }
    const r = await put(idOf("virtualNetworks", "-lead"), vnetBody());
    expect(r.body.error.message).toBe(
      "Resource name -lead is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.",
    );
    for (const name of ["a", "ends_", "x".repeat(80), "a.b-c_d"]) {
      const ok = await put(idOf("networkSecurityGroups", name), { location: "westus" });
      expect(ok.status, name).toBe(201);
      expect((await del(idOf("networkSecurityGroups", name))).status).toBe(200);
    }
  });

  it("location is required and never changes; api-versions outside Network's list are refused", async () => {
    const noLocation = await put(idOf("virtualNetworks", "nowhere"), { properties: vnetBody().properties });
    expect(noLocation.status).toBe(400);
    expect(noLocation.body.error.code).toBe("LocationRequired");
    const moved = await put(vnet, vnetBody(undefined, "eastus"));
    expect(moved.status).toBe(400);
    expect(moved.body.error.code).toBe("InvalidResourceLocation");
    const oldApi = await get(vnet, "2014-01-01");
    expect(oldApi.status).toBe(400);
    expect(oldApi.body.error.code).toBe("NoRegisteredProviderFound");
    expect((await get(vnet, "2024-07-01")).status).toBe(200);
  });

  it("PATCH is updateTags: tags are replaced, nothing else changes", async () => {
    const before = (await get(vnet)).body;
    const patched = await emulator.arm("PATCH", url(vnet), { tags: { a: "b" }, properties: { addressSpace: { addressPrefixes: ["192.168.0.0/16"] } } });
    expect(patched.status).toBe(200);
    expect(patched.body.tags).toEqual({ a: "b" });
    expect(patched.body.properties).toEqual(before.properties);
    expect(patched.body.etag).not.toBe(before.etag);
    const missingOne = await emulator.arm("PATCH", url(idOf("virtualNetworks", "ghost")), { tags: {} });
    expect(missingOne.status).toBe(404);
  });
});

describe("network security groups and public IPs", () => {
  it("an NSG has its rules with ids and Azure's six default rules", async () => {
    const nsg = idOf("networkSecurityGroups", "nsg1");
    const r = await put(nsg, NSG_BODY, TEMPLATE_API);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expectEnvelope(r.body, "Microsoft.Network/networkSecurityGroups", nsg);
    expect(r.body.properties.securityRules).toEqual([
      {
        name: "default-allow-ssh",
        id: `${nsg}/securityRules/default-allow-ssh`,
        etag: r.body.etag,
        type: "Microsoft.Network/networkSecurityGroups/securityRules",
        properties: expect.objectContaining({ protocol: "Tcp", destinationPortRange: "22", access: "Allow", priority: 1000, direction: "Inbound", provisioningState: "Succeeded" }),
      },
    ]);
    const defaults = r.body.properties.defaultSecurityRules;
    expect(defaults.map((d: any) => d.name)).toEqual(["AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound", "AllowVnetOutBound", "AllowInternetOutBound", "DenyAllOutBound"]);
    expect(defaults[2]).toMatchObject({ id: `${nsg}/defaultSecurityRules/DenyAllInBound`, type: "Microsoft.Network/networkSecurityGroups/defaultSecurityRules", properties: { access: "Deny", priority: 65500 } });
    expect((await get(nsg)).body).toEqual(r.body);
  });

  it("rules need a valid priority, unique per direction", async () => {
    const rule = (name: string, priority: number) => ({ name, properties: { protocol: "*", access: "Allow", direction: "Inbound", priority, sourcePortRange: "*", destinationPortRange: "*", sourceAddressPrefix: "*", destinationAddressPrefix: "*" } });
    const low = await put(idOf("networkSecurityGroups", "bad-nsg"), { location: "westus", properties: { securityRules: [rule("r1", 50)] } });
    expect(low.status).toBe(400);
    expect(low.body.error.code).toBe("SecurityRuleInvalidPriority");
    const clash = await put(idOf("networkSecurityGroups", "bad-nsg"), { location: "westus", properties: { securityRules: [rule("r1", 200), rule("r2", 200)] } });
    expect(clash.body.error.code).toBe("SecurityRuleConflict");
  });

  it("a Static public IP gets a stable 20.x.y.z address; a Dynamic one only while a NIC uses it", async () => {
    const pip = idOf("publicIPAddresses", "pip1");
    const r = await put(pip, { location: "westus", tags: {}, properties: { publicIPAllocationMethod: "Static" }, sku: { name: "Standard" } });
    expect(r.status).toBe(201);
    expectEnvelope(r.body, "Microsoft.Network/publicIPAddresses", pip);
    expect(r.body.sku).toEqual({ name: "Standard", tier: "Regional" });
    expect(r.body.properties).toMatchObject({ publicIPAllocationMethod: "Static", publicIPAddressVersion: "IPv4", idleTimeoutInMinutes: 4 });
    expect(r.body.properties.ipAddress).toMatch(/^20\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
    const again = await put(pip, { location: "westus", properties: { publicIPAllocationMethod: "Static" }, sku: { name: "Standard" } });
    expect(again.body.properties.ipAddress).toBe(r.body.properties.ipAddress);

    const dynamic = await put(idOf("publicIPAddresses", "pip-dynamic"), { location: "westus", properties: { dnsSettings: { domainNameLabel: "myapp" } } });
    expect(dynamic.body.sku).toEqual({ name: "Basic", tier: "Regional" });
    expect(dynamic.body.properties.publicIPAllocationMethod).toBe("Dynamic");
    expect(dynamic.body.properties.ipAddress).toBeUndefined();
    expect(dynamic.body.properties.dnsSettings).toEqual({ domainNameLabel: "myapp", fqdn: "myapp.westus.cloudapp.azure.com" });

    const standardDynamic = await put(idOf("publicIPAddresses", "pip-bad"), { location: "westus", properties: { publicIPAllocationMethod: "Dynamic" }, sku: { name: "Standard" } });
    expect(standardDynamic.status).toBe(400);
    expect(standardDynamic.body.error).toEqual({
      code: "StandardSkuPublicIPAddressesMustBeStatic",
      message: `Standard sku publicIp ${idOf("publicIPAddresses", "pip-bad")} must have AllocationMethod set to Static.`,
    });
  });
});

describe("network interfaces", () => {
  let subnet: string, nic1: string, pip: string, nsg: string;
  beforeAll(() => {
    subnet = idOf("virtualNetworks", "vnet1") + "/subnets/default";
    nic1 = idOf("networkInterfaces", "nic1");
    pip = idOf("publicIPAddresses", "pip1");
    nsg = idOf("networkSecurityGroups", "nsg1");
  });

  it("a NIC gets the subnet's first free address and records itself with its subnet, public IP and NSG", async () => {
    const r = await put(nic1, nicBody(subnet, { publicIp: pip, nsg }), TEMPLATE_API);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expectEnvelope(r.body, "Microsoft.Network/networkInterfaces", nic1);
    expect(r.body.properties.ipConfigurations).toEqual([
      {
        name: "ipconfig1",
        id: `${nic1}/ipConfigurations/ipconfig1`,
        etag: r.body.etag,
        type: "Microsoft.Network/networkInterfaces/ipConfigurations",
        properties: {
          provisioningState: "Succeeded",
          privateIPAddress: "10.0.0.4",
          privateIPAllocationMethod: "Dynamic",
          privateIPAddressVersion: "IPv4",
          subnet: { id: subnet },
          publicIPAddress: { id: pip },
          primary: true,
        },
      },
    ]);
    expect(r.body.properties.macAddress).toMatch(/^00-0D-3A-[0-9A-F]{2}-[0-9A-F]{2}-[0-9A-F]{2}$/);
    expect(r.body.properties.networkSecurityGroup).toEqual({ id: nsg });
    expect(r.body.properties.virtualMachine).toBeUndefined();
    expect((await get(nic1)).body).toEqual(r.body);

    expect((await get(pip)).body.properties.ipConfiguration).toEqual({ id: `${nic1}/ipConfigurations/ipconfig1` });
    expect((await get(nsg)).body.properties.networkInterfaces).toEqual([{ id: nic1 }]);
    expect((await get(subnet)).body.properties.ipConfigurations).toEqual([{ id: `${nic1}/ipConfigurations/ipconfig1` }]);

    // A second PUT keeps the address and the MAC.
    const again = await put(nic1, nicBody(subnet, { publicIp: pip, nsg }));
    expect(again.status).toBe(200);
    expect(again.body.properties.ipConfigurations[0].properties.privateIPAddress).toBe("10.0.0.4");
    expect(again.body.properties.macAddress).toBe(r.body.properties.macAddress);
  });

  it("addresses are allocated in order, Static ones are checked, freed ones are reused", async () => {
    const nic2 = idOf("networkInterfaces", "nic2");
    expect((await put(nic2, nicBody(subnet))).body.properties.ipConfigurations[0].properties.privateIPAddress).toBe("10.0.0.5");
    const fixed = await put(idOf("networkInterfaces", "nic-static"), nicBody(subnet, { staticAddress: "10.0.0.10" }));
    expect(fixed.status).toBe(201);
    expect(fixed.body.properties.ipConfigurations[0].properties).toMatchObject({ privateIPAddress: "10.0.0.10", privateIPAllocationMethod: "Static" });

    const taken = await put(idOf("networkInterfaces", "nic-clash"), nicBody(subnet, { staticAddress: "10.0.0.10" }));
    expect(taken.status).toBe(400);
    expect(taken.body.error.code).toBe("PrivateIPAddressInUse");
    expect(taken.body.error.message).toContain(`${idOf("networkInterfaces", "nic-static")}/ipConfigurations/ipconfig1`);
    const outside = await put(idOf("networkInterfaces", "nic-clash"), nicBody(subnet, { staticAddress: "10.0.1.5" }));
    expect(outside.body.error.code).toBe("PrivateIPAddressNotInSubnet");
    const reserved = await put(idOf("networkInterfaces", "nic-clash"), nicBody(subnet, { staticAddress: "10.0.0.1" }));
    expect(reserved.body.error.code).toBe("PrivateIPAddressIsReserved");

    expect((await del(nic2)).status).toBe(200);
    expect((await del(nic2)).status).toBe(204);
    expect((await put(idOf("networkInterfaces", "nic3"), nicBody(subnet))).body.properties.ipConfigurations[0].properties.privateIPAddress).toBe("10.0.0.5");
    expect((await del(idOf("networkInterfaces", "nic-static"))).status).toBe(200);
  });

  it("NICs created at once all get different addresses", async () => {
    const names = Array.from({ length: 6 }, (_, i) => `burst${i}`);
    const results = await Promise.all(names.map((n) => put(idOf("networkInterfaces", n), nicBody(subnet))));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
    const addresses = results.map((r) => r.body.properties.ipConfigurations[0].properties.privateIPAddress);
    expect(new Set(addresses).size).toBe(names.length);
    const entries = (await get(subnet)).body.properties.ipConfigurations.map((c: any) => c.id);
    for (const n of names) expect(entries).toContain(`${idOf("networkInterfaces", n)}/ipConfigurations/ipconfig1`);
    await Promise.all(names.map((n) => del(idOf("networkInterfaces", n))));
  });

  it("a NIC's subnet, public IP and NSG must exist in its region (InvalidResourceReference)", async () => {
    const nic = idOf("networkInterfaces", "nic-bad");
    const noSubnet = `${idOf("virtualNetworks", "vnet1")}/subnets/nope`;
    const r1 = await put(nic, nicBody(noSubnet));
    expect(r1.status).toBe(400);
    expect(r1.body.error).toEqual(missing(noSubnet, nic));
    const noVnet = `${idOf("virtualNetworks", "ghost")}/subnets/default`;
    expect((await put(nic, nicBody(noVnet))).body.error).toEqual(missing(noVnet, nic));
    const noPip = idOf("publicIPAddresses", "ghost");
    expect((await put(nic, nicBody(subnet, { publicIp: noPip }))).body.error).toEqual(missing(noPip, nic));
    const noNsg = idOf("networkSecurityGroups", "ghost");
    expect((await put(nic, nicBody(subnet, { nsg: noNsg }))).body.error).toEqual(missing(noNsg, nic));
    // Another region: as good as missing.
    expect((await put(nic, nicBody(subnet, { location: "eastus" }))).body.error).toEqual(missing(subnet, nic));
    // Not an id at all.
    const malformed = await put(nic, nicBody("not-an-id"));
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("LinkedInvalidPropertyId");
    expect((await get(nic)).status).toBe(404);
    expect((await get(subnet)).body.properties.ipConfigurations.map((c: any) => c.id)).not.toContain(`${nic}/ipConfigurations/ipconfig1`);
  });

  it("a public IP serves one NIC (PublicIPAddressInUse), and a refused NIC takes nothing", async () => {
    const nic = idOf("networkInterfaces", "nic-thief");
    const r = await put(nic, nicBody(subnet, { publicIp: pip, nsg }));
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual({
      code: "PublicIPAddressInUse",
      message: `Resource ${nic}/ipConfigurations/ipconfig1 is referencing public IP address ${pip} that is already allocated to resource ${nic1}/ipConfigurations/ipconfig1.`,
    });
    expect((await get(nsg)).body.properties.networkInterfaces).toEqual([{ id: nic1 }]);
    expect((await get(subnet)).body.properties.ipConfigurations.map((c: any) => c.id)).not.toContain(`${nic}/ipConfigurations/ipconfig1`);
    expect((await get(pip)).body.properties.ipConfiguration).toEqual({ id: `${nic1}/ipConfigurations/ipconfig1` });
  });

  it("resources in use cannot be deleted: subnet, VNet, public IP, NSG", async () => {
    const vnet = idOf("virtualNetworks", "vnet1");
    const inUse = {
      code: "InUseSubnetCannotBeDeleted",
      message: `Subnet default is in use by ${nic1}/ipConfigurations/ipconfig1 and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.`,
    };
    const subnetDelete = await del(subnet);
    expect(subnetDelete.status).toBe(400);
    // nic3 took 10.0.0.5 and comes after nic1 in the subnet's list; the first user is named.
    expect(subnetDelete.body.error).toEqual(inUse);
    expect((await del(vnet)).body.error).toEqual(inUse);
    const dropped = await put(vnet, vnetBody([{ name: "other", prefix: "10.0.5.0/24" }]));
    expect(dropped.status).toBe(400);
    expect(dropped.body.error).toEqual(inUse);
    const shrunk = await put(vnet, vnetBody([{ name: "default", prefix: "10.0.0.128/25" }]));
    expect(shrunk.body.error.code).toBe("InUseSubnetCannotBeUpdated");

    const pipDelete = await del(pip);
    expect(pipDelete.status).toBe(400);
    expect(pipDelete.body.error).toEqual({
      code: "PublicIPAddressCannotBeDeleted",
      message: `Public IP address ${pip} can not be deleted since it is still allocated to resource ${nic1}/ipConfigurations/ipconfig1. In order to delete the public IP, disassociate/detach the Public IP address from the resource.  To learn how to do this, see aka.ms/deletepublicip.`,
    });
    const nsgDelete = await del(nsg);
    expect(nsgDelete.status).toBe(400);
    expect(nsgDelete.body.error).toEqual({
      code: "InUseNetworkSecurityGroupCannotBeDeleted",
      message: `Network security group ${nsg} cannot be deleted because it is in use by the following resources: ${nic1}. In order to delete the Network security group, remove the association with the resource(s). To learn how to do this, see aka.ms/deletensg.`,
    });
    for (const id of [subnet, vnet, pip, nsg]) expect((await get(id)).status).toBe(200);
  });

  it("a NIC that stops naming a public IP and NSG lets go of them; PATCH changes tags only", async () => {
    const nic = idOf("networkInterfaces", "nic-swap");
    const pip2 = idOf("publicIPAddresses", "pip2");
    const nsg2 = idOf("networkSecurityGroups", "nsg2");
    await put(pip2, { location: "westus", sku: { name: "Standard" }, properties: { publicIPAllocationMethod: "Static" } });
    await put(nsg2, { location: "westus" });
    expect((await put(nic, nicBody(subnet, { publicIp: pip2, nsg: nsg2 }))).status).toBe(201);
    expect((await get(pip2)).body.properties.ipConfiguration).toBeDefined();
    const plain = await put(nic, nicBody(subnet));
    expect(plain.status).toBe(200);
    expect(plain.body.properties.networkSecurityGroup).toBeUndefined();
    expect((await get(pip2)).body.properties.ipConfiguration).toBeUndefined();
    expect((await get(nsg2)).body.properties.networkInterfaces).toBeUndefined();
    expect((await del(pip2)).status).toBe(200);
    expect((await del(nsg2)).status).toBe(200);

    const patched = await emulator.arm("PATCH", url(nic), { tags: { t: "1" }, properties: { ipConfigurations: [] } });
    expect(patched.status).toBe(200);
    expect(patched.body.tags).toEqual({ t: "1" });
    expect(patched.body.properties.ipConfigurations).toHaveLength(1);
    expect((await del(nic)).status).toBe(200);
  });

  it("a subnet can name an NSG; the NSG records it and cannot be deleted while it does", async () => {
    const nsgSub = idOf("networkSecurityGroups", "nsg-subnet");
    await put(nsgSub, { location: "westus" });
    const withNsg = `${idOf("virtualNetworks", "vnet1")}/subnets/guarded`;
    const r = await put(withNsg, { properties: { addressPrefix: "10.0.9.0/24", networkSecurityGroup: { id: nsgSub } } });
    expect(r.status).toBe(201);
    expect(r.body.properties.networkSecurityGroup).toEqual({ id: nsgSub });
    expect((await get(nsgSub)).body.properties.subnets).toEqual([{ id: withNsg }]);
    expect((await del(nsgSub)).body.error.code).toBe("InUseNetworkSecurityGroupCannotBeDeleted");
    const ghost = await put(`${idOf("virtualNetworks", "vnet1")}/subnets/ghosted`, { properties: { addressPrefix: "10.0.10.0/24", networkSecurityGroup: { id: idOf("networkSecurityGroups", "ghost") } } });
    expect(ghost.body.error).toEqual(missing(idOf("networkSecurityGroups", "ghost"), `${idOf("virtualNetworks", "vnet1")}/subnets/ghosted`));
    expect((await del(withNsg)).status).toBe(200);
    expect((await get(nsgSub)).body.properties.subnets).toBeUndefined();
    expect((await del(nsgSub)).status).toBe(200);
  });
});

describe("NICs and virtual machines", () => {
  let subnet: string, nic1: string, nic3: string;
  beforeAll(() => {
    subnet = idOf("virtualNetworks", "vnet1") + "/subnets/default";
    nic1 = idOf("networkInterfaces", "nic1");
    nic3 = idOf("networkInterfaces", "nic3");
  });
  const vmId = (name: string) => `/subscriptions/${subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${name}`;

  it("a VM naming a NIC sets its virtualMachine; the NIC cannot be deleted (NicInUse) nor used by another VM", async () => {
    const vm = await emulator.arm("PUT", emulator.vmPath(RG, "vm1"), vmBody([nic1]));
    expect(vm.status, JSON.stringify(vm.body)).toBe(201);
    expect(vm.body.properties.networkProfile).toEqual({ networkInterfaces: [{ id: nic1 }] });
    expect((await get(nic1)).body.properties.virtualMachine).toEqual({ id: vmId("vm1") });

    const nicDelete = await del(nic1);
    expect(nicDelete.status).toBe(400);
    expect(nicDelete.body.error).toEqual({
      code: "NicInUse",
      message: `Network Interface ${nic1} is used by existing resource ${vmId("vm1")}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`,
    });
    const second = await emulator.arm("PUT", emulator.vmPath(RG, "vm2"), vmBody([nic1]));
    expect(second.status).toBe(400);
    expect(second.body.error.code).toBe("NicInUse");
    expect((await emulator.arm("GET", emulator.vmPath(RG, "vm2"))).status).toBe(404);

    // A NIC PUT keeps the link.
    expect((await put(nic1, nicBody(subnet, { publicIp: idOf("publicIPAddresses", "pip1"), nsg: idOf("networkSecurityGroups", "nsg1") }))).body.properties.virtualMachine).toEqual({ id: vmId("vm1") });
  });

  it("a VM must name NICs that exist (InvalidResourceReference)", async () => {
    const ghost = idOf("networkInterfaces", "ghost-nic");
    const r = await emulator.arm("PUT", emulator.vmPath(RG, "vm-ghost"), vmBody([ghost]));
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual(missing(ghost, vmId("vm-ghost")));
    expect((await emulator.arm("GET", emulator.vmPath(RG, "vm-ghost"))).status).toBe(404);
    const malformed = await emulator.arm("PUT", emulator.vmPath(RG, "vm-ghost"), vmBody(["nic1"]));
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("LinkedInvalidPropertyId");
  });

  it("a VM that stops naming a NIC, or is deleted, clears the NIC's virtualMachine", async () => {
    const moved = await emulator.arm("PATCH", emulator.vmPath(RG, "vm1"), { properties: { networkProfile: { networkInterfaces: [{ id: nic3 }] } } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect((await get(nic1)).body.properties.virtualMachine).toBeUndefined();
    expect((await get(nic3)).body.properties.virtualMachine).toEqual({ id: vmId("vm1") });
    expect((await emulator.arm("DELETE", emulator.vmPath(RG, "vm1"))).status).toBe(200);
    expect((await get(nic3)).body.properties.virtualMachine).toBeUndefined();
    expect((await del(nic3)).status).toBe(200);
  });

  it("a VM without a networkProfile reads back with an empty one", async () => {
    const r = await emulator.arm("PUT", emulator.vmPath(RG, "bare-vm"), { location: "westus", properties: { hardwareProfile: { vmSize: "Standard_B1s" } } });
    expect(r.status).toBe(201);
    expect(r.body.properties.networkProfile).toEqual({ networkInterfaces: [] });
    expect((await emulator.arm("GET", emulator.vmPath(RG, "bare-vm"))).body.properties.networkProfile).toEqual({ networkInterfaces: [] });
    expect((await emulator.arm("DELETE", emulator.vmPath(RG, "bare-vm"))).status).toBe(200);
  });
});

describe("listings", () => {
  it("GET …/resources lists the network resources in Azure's generic shape", async () => {
    const r = await emulator.arm("GET", `${sub}/resourceGroups/${RG}/resources?api-version=${ARM_API}`);
    expect(r.status).toBe(200);
    const byId = new Map(r.body.value.map((x: any) => [x.id, x]));
    expect(byId.get(idOf("virtualNetworks", "vnet1"))).toEqual({ id: idOf("virtualNetworks", "vnet1"), name: "vnet1", type: "Microsoft.Network/virtualNetworks", location: "westus", tags: { a: "b" } });
    expect(byId.get(idOf("publicIPAddresses", "pip1"))).toMatchObject({ type: "Microsoft.Network/publicIPAddresses", sku: { name: "Standard", tier: "Regional" } });
    expect(byId.has(idOf("networkSecurityGroups", "nsg1"))).toBe(true);
    expect(byId.has(idOf("networkInterfaces", "nic1"))).toBe(true);
    // Subnets are part of their VNet, not resources of their own.
    expect([...byId.keys()].some((id) => String(id).includes("/subnets/"))).toBe(false);
    const nics = await emulator.arm("GET", `${sub}/resources?api-version=${ARM_API}&$filter=${encodeURIComponent("resourceType eq 'Microsoft.Network/networkInterfaces'")}`);
    expect(nics.body.value.map((x: any) => x.id)).toEqual([idOf("networkInterfaces", "nic1")]);
  });

  it("GET …/providers/Microsoft.Network lists the network types", async () => {
    const r = await emulator.arm("GET", `${sub}/providers/Microsoft.Network?api-version=${ARM_API}`);
    expect(r.status).toBe(200);
    const types = r.body.resourceTypes.map((t: any) => t.resourceType);
    expect(types).toEqual(expect.arrayContaining(["virtualNetworks", "virtualNetworks/subnets", "networkSecurityGroups", "publicIPAddresses", "networkInterfaces"]));
    expect(r.body.resourceTypes.find((t: any) => t.resourceType === "networkInterfaces").apiVersions).toEqual(expect.arrayContaining(["2015-06-15", "2022-01-01", "2024-07-01"]));
  });
});

describe("resource group cascade", () => {
  it("deleting a group with a VM, its NIC, public IP, NSG and VNet deletes all of them", async () => {
    const rg = "cascade-net-rg";
    await emulator.createResourceGroup(rg);
    const vnet = idOf("virtualNetworks", "cvnet", rg);
    const nsg = idOf("networkSecurityGroups", "cnsg", rg);
    const pip = idOf("publicIPAddresses", "cpip", rg);
    const nic = idOf("networkInterfaces", "cnic", rg);
    expect((await put(vnet, vnetBody([{ name: "s", prefix: "10.0.0.0/24" }]), TEMPLATE_API)).status).toBe(201);
    expect((await put(nsg, NSG_BODY, TEMPLATE_API)).status).toBe(201);
    expect((await put(pip, { location: "westus", sku: { name: "Standard" }, properties: { publicIPAllocationMethod: "Static" } })).status).toBe(201);
    expect((await put(nic, nicBody(`${vnet}/subnets/s`, { publicIp: pip, nsg }), TEMPLATE_API)).status).toBe(201);
    const vm = await emulator.arm("PUT", emulator.vmPath(rg, "cvm"), vmBody([nic], { identity: { type: "SystemAssigned" } }));
    expect(vm.status, JSON.stringify(vm.body)).toBe(201);

    const r = await emulator.arm("DELETE", emulator.rgPath(rg));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await emulator.arm("GET", emulator.rgPath(rg))).status).toBe(404);
    await emulator.createResourceGroup(rg);
    const left = await emulator.arm("GET", `${sub}/resourceGroups/${rg}/resources?api-version=${ARM_API}`);
    expect(left.body.value).toEqual([]);
    for (const id of [vnet, nsg, pip, nic]) expect((await get(id)).status, id).toBe(404);
    expect((await emulator.arm("GET", emulator.vmPath(rg, "cvm"))).status).toBe(404);
    // The names are free again.
    expect((await put(vnet, vnetBody())).status).toBe(201);
    expect((await emulator.arm("DELETE", emulator.rgPath(rg))).status).toBe(200);
  });
});

describe("linked access", () => {
  const AUTHZ_API = "2022-04-01";
  const VM_CONTRIBUTOR = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c";
  let caller: { token: string; oid: string; appid: string };

  async function grant(scope: string, role: string) {
    const name = randomUUID();
    const r = await emulator.arm("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=${AUTHZ_API}`, {
      properties: { roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId: caller.oid, principalType: "ServicePrincipal" },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }

  it("a NIC write needs join on its subnet and public IP; a VM write needs join on its NICs", async () => {
    await emulator.createResourceGroup("link-app-rg");
    await emulator.createResourceGroup("link-net-rg");
    await emulator.createVm("link-app-rg", "caller-vm", { type: "SystemAssigned" });
    const endpoint = await emulator.imdsEndpoint("link-app-rg", "caller-vm");
    const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    const payload = decodeJwt(t.body.access_token).payload;
    caller = { token: t.body.access_token, oid: payload.oid, appid: payload.appid };

    const vnet = idOf("virtualNetworks", "shared-vnet", "link-net-rg");
    const subnet = `${vnet}/subnets/default`;
    const pip = idOf("publicIPAddresses", "shared-pip", "link-net-rg");
    await put(vnet, vnetBody());
    await put(pip, { location: "westus", sku: { name: "Standard" }, properties: { publicIPAllocationMethod: "Static" } });
    await grant(`${sub}/resourceGroups/link-app-rg`, VM_CONTRIBUTOR);

    const nic = idOf("networkInterfaces", "app-nic", "link-app-rg");
    const denied = await emulator.arm("PUT", url(nic), nicBody(subnet, { publicIp: pip }), caller.token);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toEqual({
      code: "LinkedAuthorizationFailed",
      message: `The client '${caller.appid}' with object id '${caller.oid}' has permission to perform action 'Microsoft.Network/networkInterfaces/write' on scope '${nic}'; however, it does not have permission to perform action 'Microsoft.Network/virtualNetworks/subnets/join/action' on the linked scope(s) '${subnet}' or the linked scope(s) are invalid.`,
    });
    await grant(vnet, VM_CONTRIBUTOR);
    const noPipJoin = await emulator.arm("PUT", url(nic), nicBody(subnet, { publicIp: pip }), caller.token);
    expect(noPipJoin.status).toBe(403);
    expect(noPipJoin.body.error.message).toContain(`'Microsoft.Network/publicIPAddresses/join/action' on the linked scope(s) '${pip}'`);
    const allowed = await emulator.arm("PUT", url(nic), nicBody(subnet), caller.token);
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(201);

    // The NIC lives in the caller's group; a NIC elsewhere needs join there.
    const foreignNic = idOf("networkInterfaces", "foreign-nic", "link-net-rg");
    expect((await put(foreignNic, nicBody(subnet))).status).toBe(201);
    const vmDenied = await emulator.arm("PUT", emulator.vmPath("link-app-rg", "app-vm"), vmBody([nic, foreignNic]), caller.token);
    expect(vmDenied.status).toBe(403);
    expect(vmDenied.body.error.code).toBe("LinkedAuthorizationFailed");
    expect(vmDenied.body.error.message).toContain(`'Microsoft.Network/networkInterfaces/join/action' on the linked scope(s) '${foreignNic}'`);
    const vm = await emulator.arm("PUT", emulator.vmPath("link-app-rg", "app-vm"), vmBody([nic]), caller.token);
    expect(vm.status, JSON.stringify(vm.body)).toBe(201);
  });
});
