// The VM image catalog `az vm create` reads (publishers, offers, skus, versions with `$top=1&$orderby=name
// desc`, one version's generation and security features), Azure's 404s for unknown images and
// managed images, and the anonymous image alias document the cloud metadata names.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARM_API, TestEmulator, decodeJwt, imds } from "../support/emulator.ts";

const emulator = TestEmulator.shared();
let subscriptionId: string;

beforeAll(async () => {
  await emulator.start();
  subscriptionId = emulator.endpoints.subscriptionId;
  await emulator.createResourceGroup("images-rg");
});
afterAll(() => emulator.dispose());

const catalog = (rest: string, query = "") => `${emulator.subscriptionPath}/providers/Microsoft.Compute/locations/eastus/publishers${rest}?api-version=${ARM_API}${query}`;
const versionsOf = (publisher: string, offer: string, sku: string) => `/${publisher}/artifacttypes/vmimage/offers/${offer}/skus/${sku}/versions`;
const idBase = () => `/Subscriptions/${subscriptionId}/Providers/Microsoft.Compute/Locations/eastus/Publishers`;

/** The aliases az 2.74 knows, plus the two newer ones the document adds. */
const ALIASES: Record<string, [string, string, string, string]> = {
  Ubuntu2204: ["Linux", "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2"],
  Ubuntu2404: ["Linux", "Canonical", "ubuntu-24_04-lts", "server"],
  Debian11: ["Linux", "Debian", "debian-11", "11-backports-gen2"],
  Debian12: ["Linux", "Debian", "debian-12", "12-gen2"],
  CentOS85Gen2: ["Linux", "OpenLogic", "CentOS", "8_5-gen2"],
  RHELRaw8LVMGen2: ["Linux", "RedHat", "RHEL", "8-lvm-gen2"],
  SuseSles15SP3: ["Linux", "SUSE", "sles-15-sp3", "gen2"],
  OpenSuseLeap154Gen2: ["Linux", "SUSE", "openSUSE-leap-15-4", "gen2"],
  FlatcarLinuxFreeGen2: ["Linux", "kinvolk", "flatcar-container-linux-free", "stable-gen2"],
  Win2022Datacenter: ["Windows", "MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-g2"],
  Win2022AzureEditionCore: ["Windows", "MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition-core"],
  Win2019Datacenter: ["Windows", "MicrosoftWindowsServer", "WindowsServer", "2019-datacenter-gensecond"],
  Win2016Datacenter: ["Windows", "MicrosoftWindowsServer", "WindowsServer", "2016-datacenter-gensecond"],
  Win2012R2Datacenter: ["Windows", "MicrosoftWindowsServer", "WindowsServer", "2012-R2-Datacenter"],
  Win2012Datacenter: ["Windows", "MicrosoftWindowsServer", "WindowsServer", "2012-Datacenter"],
};

describe("image versions", () => {
  it("the latest version, as az asks for it: $top=1&$orderby=name desc", async () => {
    const r = await emulator.arm("GET", catalog(versionsOf("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2"), "&$top=1&$orderby=name%20desc"));
    expect(r.status).toBe(200);
    expect(r.body).toEqual([
      {
        location: "eastus",
        name: "22.04.202501010",
        id: `${idBase()}/Canonical/ArtifactTypes/VMImage/Offers/0001-com-ubuntu-server-jammy/Skus/22_04-lts-gen2/Versions/22.04.202501010`,
      },
    ]);
    const all = await emulator.arm("GET", catalog(versionsOf("canonical", "0001-com-ubuntu-server-jammy", "22_04-LTS-gen2")));
    expect(all.body.map((v: any) => v.name)).toEqual(["22.04.202412050", "22.04.202501010"]);
  });

  it("one version: generation, architecture, OS and the Trusted Launch feature az reads", async () => {
    const r = await emulator.arm("GET", catalog(`${versionsOf("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2")}/22.04.202501010`));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      location: "eastus",
      name: "22.04.202501010",
      id: `${idBase()}/Canonical/ArtifactTypes/VMImage/Offers/0001-com-ubuntu-server-jammy/Skus/22_04-lts-gen2/Versions/22.04.202501010`,
      properties: { osDiskImage: { operatingSystem: "Linux" }, hyperVGeneration: "V2", architecture: "x64", dataDiskImages: [] },
    });
    expect(r.body.properties.features).toContainEqual({ name: "SecurityType", value: "TrustedLaunchSupported" });
    expect(r.body.plan).toBeUndefined();

    const windows = await emulator.arm("GET", catalog(`${versionsOf("MicrosoftWindowsServer", "WindowsServer", "2012-R2-Datacenter")}/9600.21620.231004`));
    expect(windows.body.properties).toMatchObject({ osDiskImage: { operatingSystem: "Windows" }, hyperVGeneration: "V1", architecture: "x64" });
    expect(windows.body.properties.features.some((f: any) => f.name === "SecurityType")).toBe(false);
  });

  it("an unknown image or version is Azure's 404 NotFound", async () => {
    const notFound = { error: { code: "NotFound", message: "Artifact: VMImage was not found." } };
    for (const path of [
      versionsOf("Canonical", "no-such-offer", "server"),
      versionsOf("NoSuchPublisher", "x", "y"),
      versionsOf("Canonical", "ubuntu-24_04-lts", "nope"),
      `${versionsOf("Canonical", "ubuntu-24_04-lts", "server")}/1.2.3`,
    ]) {
      const r = await emulator.arm("GET", catalog(path));
      expect(r.status, path).toBe(404);
      expect(r.body).toEqual(notFound);
    }
  });

  it("publishers, offers and skus are listed too", async () => {
    const publishers = await emulator.arm("GET", catalog(""));
    expect(publishers.status).toBe(200);
    expect(publishers.body).toContainEqual({ location: "eastus", name: "Canonical", id: `${idBase()}/Canonical` });
    const offers = await emulator.arm("GET", catalog("/MicrosoftWindowsServer/artifacttypes/vmimage/offers"));
    expect(offers.body).toEqual([{ location: "eastus", name: "WindowsServer", id: `${idBase()}/MicrosoftWindowsServer/ArtifactTypes/VMImage/Offers/WindowsServer` }]);
    const skus = await emulator.arm("GET", catalog("/Canonical/artifacttypes/vmimage/offers/ubuntu-24_04-lts/skus"));
    expect(skus.body).toEqual([
      {
        properties: { automaticOSUpgradeProperties: { automaticOSUpgradeSupported: false } },
        location: "eastus",
        name: "server",
        id: `${idBase()}/Canonical/ArtifactTypes/VMImage/Offers/ubuntu-24_04-lts/Skus/server`,
      },
    ]);
  });

  it("needs an api-version and read access at the subscription (any Reader has it)", async () => {
    const noVersion = await emulator.arm("GET", catalog("").replace(/\?api-version=[^&]+/, ""));
    expect(noVersion.status).toBe(400);
    expect(noVersion.body.error.code).toBe("MissingApiVersionParameter");
    expect((await emulator.arm("GET", catalog(""), undefined, null)).status).toBe(401);

    await emulator.createVm("images-rg", "reader-vm", { type: "SystemAssigned" });
    const endpoint = await emulator.imdsEndpoint("images-rg", "reader-vm");
    const t = await imds(`${endpoint}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`);
    const { oid } = decodeJwt(t.body.access_token).payload;
    const denied = await emulator.arm("GET", catalog(versionsOf("Canonical", "ubuntu-24_04-lts", "server")), undefined, t.body.access_token);
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toContain("'Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read'");
    const grant = await emulator.arm("PUT", `${emulator.subscriptionPath}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`, {
      properties: { roleDefinitionId: `${emulator.subscriptionPath}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`, principalId: oid, principalType: "ServicePrincipal" },
    });
    expect(grant.status).toBe(201);
    const allowed = await emulator.arm("GET", catalog(versionsOf("Canonical", "ubuntu-24_04-lts", "server")), undefined, t.body.access_token);
    expect(allowed.status).toBe(200);
  });

  it("GET …/providers/Microsoft.Compute lists the catalog and managed images", async () => {
    const r = await emulator.arm("GET", `${emulator.subscriptionPath}/providers/Microsoft.Compute?api-version=${ARM_API}`);
    const types = r.body.resourceTypes.map((t: any) => t.resourceType);
    expect(types).toEqual(expect.arrayContaining(["virtualMachines", "images", "locations/publishers"]));
  });
});

describe("managed images", () => {
  it("an image name that is not an alias is a 404 ResourceNotFound, as az expects", async () => {
    const r = await emulator.arm("GET", `${emulator.subscriptionPath}/resourceGroups/images-rg/providers/Microsoft.Compute/images/NoSuchImage?api-version=${ARM_API}`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("ResourceNotFound");
    expect(r.body.error.message).toContain("'Microsoft.Compute/images/NoSuchImage' under resource group 'images-rg'");
    const noGroup = await emulator.arm("GET", `${emulator.subscriptionPath}/resourceGroups/no-such-rg/providers/Microsoft.Compute/images/x?api-version=${ARM_API}`);
    expect(noGroup.status).toBe(404);
    expect(noGroup.body.error.code).toBe("ResourceGroupNotFound");
    const list = await emulator.arm("GET", `${emulator.subscriptionPath}/resourceGroups/images-rg/providers/Microsoft.Compute/images?api-version=${ARM_API}`);
    expect(list.body).toEqual({ value: [] });
  });
});

describe("image alias document", () => {
  it("the cloud metadata names it, and it is served anonymously in az's shape", async () => {
    const metadata = await (await fetch(`${emulator.endpoints.arm}/metadata/endpoints?api-version=2022-09-01`)).json();
    expect(metadata.vmImageAliasDoc).toBe(`${emulator.endpoints.arm}/metadata/vm-image-aliases`);
    const response = await fetch(metadata.vmImageAliasDoc);
    expect(response.status).toBe(200);
    const doc = await response.json();
    const aliases = doc.outputs.aliases.value;
    expect(Object.keys(aliases).sort()).toEqual(["Linux", "Windows"]);
    for (const [alias, [os, publisher, offer, sku]] of Object.entries(ALIASES)) {
      expect(aliases[os][alias], alias).toEqual({ publisher, offer, sku, version: "latest", architecture: "x64" });
    }
  });

  it("every alias resolves in the catalog: a latest version, and that version's details", async () => {
    const aliases = (await (await fetch(`${emulator.endpoints.arm}/metadata/vm-image-aliases`)).json()).outputs.aliases.value;
    for (const [os, entries] of Object.entries<Record<string, any>>(aliases)) {
      for (const [alias, urn] of Object.entries(entries)) {
        const latest = await emulator.arm("GET", catalog(versionsOf(urn.publisher, urn.offer, urn.sku), "&$top=1&$orderby=name desc"));
        expect(latest.status, alias).toBe(200);
        expect(latest.body, alias).toHaveLength(1);
        const version = await emulator.arm("GET", catalog(`${versionsOf(urn.publisher, urn.offer, urn.sku)}/${latest.body[0].name}`));
        expect(version.status, alias).toBe(200);
        expect(version.body.properties.osDiskImage.operatingSystem, alias).toBe(os);
      }
    }
  });
});
