// The VM image catalog (Microsoft.Compute/locations/{l}/publishers/…/skus/{s}/versions[/{v}]) that
// `az vm create` reads to resolve an image's `latest` version, its Hyper-V generation and whether it
// supports Trusted Launch; and the image alias document az reads first ({arm}/metadata/vm-image-aliases,
// named by the cloud metadata's vmImageAliasDoc). Both come from images.json; every location has
// the same images. Catalog reads need read access at the subscription (any Reader has it).
import { ArmError, ArmErrors } from "../../../../../shared/errors/arm";
import { subscriptionScope } from "../../../../../shared/resource-id";
import { requireApiVersion } from "../../api-versions";
import { armJson, methodNotAllowed, requireSubscription, type ArmRequest } from "../../arm-request";
import { authorize } from "../../authorization";
import { normalizeLocation } from "../../request-body";
import type { ProviderRoutes } from "../../resource-types";
import { COMPUTE_API_VERSIONS } from "./api-versions";
import { IMAGES, IMAGE_ALIASES, type CatalogImage } from "./image-catalog";
const READ = "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions/read";
const CATALOG_TYPE = "Microsoft.Compute/locations/publishers";

/** The alias document in the shape az reads (`outputs.aliases.value.{Linux|Windows}.{alias}`). */
export function vmImageAliasDocument() {
  return {
    $schema: "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
    contentVersion: "1.0.0.0",
    parameters: {},
    variables: {},
    resources: [],
    outputs: { aliases: { type: "Object", value: IMAGE_ALIASES } },
  };
}

const imageNotFound = () => new ArmError(404, "NotFound", "Artifact: VMImage was not found.");

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Distinct values in catalog order, by case-insensitive key. */
function distinct(values: string[]): string[] {
  const seen = new Map<string, string>();
  for (const v of values) if (!seen.has(v.toLowerCase())) seen.set(v.toLowerCase(), v);
  return [...seen.values()];
}

/** Versions compare segment by segment as numbers (22.04.202501010 after 22.04.202412050). */
function compareVersions(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number(pa[i] ?? 0);
    const y = Number(pb[i] ?? 0);
    if (x !== y) return Number.isNaN(x) || Number.isNaN(y) ? String(pa[i]).localeCompare(String(pb[i])) : x - y;
  }
  return 0;
}

/** `$orderby` (only `name`, ascending or descending) and `$top`. */
function page<T extends { name: string }>(items: T[], query: URLSearchParams, compare: (a: string, b: string) => number): T[] {
  const orderby = query.get("$orderby")?.trim().toLowerCase().replace(/\s+/g, " ");
  let sorted = [...items].sort((a, b) => compare(a.name, b.name));
  if (orderby === "name desc") sorted.reverse();
  else if (orderby && orderby !== "name" && orderby !== "name asc") {
    throw ArmErrors.invalidParameter(`The $orderby '${query.get("$orderby")}' is not supported. Supported: name, name asc, name desc.`);
  }
  const topText = query.get("$top");
  if (topText !== null) {
    const top = Number(topText);
    if (!Number.isInteger(top) || top < 0) throw ArmErrors.invalidParameter(`The $top '${topText}' is not a non-negative integer.`);
    sorted = sorted.slice(0, top);
  }
  return sorted;
}

function features(image: CatalogImage): { name: string; value: string }[] {
  if (image.hyperVGeneration !== "V2") return [{ name: "IsAcceleratedNetworkSupported", value: "True" }];
  return [
    ...(image.securityType ? [{ name: "SecurityType", value: image.securityType }] : []),
    { name: "IsAcceleratedNetworkSupported", value: "True" },
    { name: "DiskControllerTypes", value: "SCSI, NVMe" },
    { name: "IsHibernateSupported", value: "True" },
  ];
}

async function catalogRoutes(req: ArmRequest): Promise<Response | null> {
  const { path } = req;
  const types = path.types.map((t) => t.toLowerCase());
  if (path.resourceGroup || !path.subscriptionId || types[0] !== "locations" || types[1] !== "publishers") return null;
  if (path.scope.toLowerCase() !== subscriptionScope(path.subscriptionId).toLowerCase()) return null;
  const shape = types.join("/");
  const [locationName, publisher, artifactType, offer, sku, version] = path.names;
  const kinds: Record<string, number> = {
    "locations/publishers": 1,
    "locations/publishers/artifacttypes/offers": 3,
    "locations/publishers/artifacttypes/offers/skus": 4,
    "locations/publishers/artifacttypes/offers/skus/versions": 5,
  };
  const listing = kinds[shape] === path.names.length;
  const versionGet = shape === "locations/publishers/artifacttypes/offers/skus/versions" && path.names.length === 6;
  if (!listing && !versionGet) return null;
  if (artifactType !== undefined && !same(artifactType, "vmimage")) return null;

  const subscriptionId = requireSubscription(req.env, path.subscriptionId);
  requireApiVersion(req.query, CATALOG_TYPE, COMPUTE_API_VERSIONS);
  if (req.method !== "GET") methodNotAllowed(req.method);
  await authorize(req.env, req.caller, READ, subscriptionScope(subscriptionId));

  const location = normalizeLocation(locationName!);
  const base = `/Subscriptions/${subscriptionId}/Providers/Microsoft.Compute/Locations/${location}/Publishers`;
  const item = (name: string, id: string, extra: Record<string, unknown> = {}) => ({ ...extra, location, name, id });
  const inPublisher = IMAGES.filter((i) => publisher !== undefined && same(i.publisher, publisher));
  const inOffer = inPublisher.filter((i) => offer !== undefined && same(i.offer, offer));
  const image = inOffer.find((i) => sku !== undefined && same(i.sku, sku));

  switch (shape) {
    case "locations/publishers":
      return armJson(page(distinct(IMAGES.map((i) => i.publisher)).map((p) => item(p, `${base}/${p}`)), req.query, (a, b) => a.localeCompare(b)));
    case "locations/publishers/artifacttypes/offers":
      return armJson(
        page(distinct(inPublisher.map((i) => i.offer)).map((o) => item(o, `${base}/${inPublisher[0]!.publisher}/ArtifactTypes/VMImage/Offers/${o}`)), req.query, (a, b) => a.localeCompare(b)),
      );
    case "locations/publishers/artifacttypes/offers/skus":
      return armJson(
        page(
          inOffer.map((i) => item(i.sku, `${base}/${i.publisher}/ArtifactTypes/VMImage/Offers/${i.offer}/Skus/${i.sku}`, { properties: { automaticOSUpgradeProperties: { automaticOSUpgradeSupported: false } } })),
          req.query,
          (a, b) => a.localeCompare(b),
        ),
      );
  }
  if (!image) throw imageNotFound();
  const versionId = (v: string) => `${base}/${image.publisher}/ArtifactTypes/VMImage/Offers/${image.offer}/Skus/${image.sku}/Versions/${v}`;
  if (!versionGet) return armJson(page(image.versions.map((v) => item(v, versionId(v))), req.query, compareVersions));
  const found = image.versions.find((v) => same(v, version!));
  if (!found) throw imageNotFound();
  return armJson({
    properties: {
      hyperVGeneration: image.hyperVGeneration,
      architecture: "x64",
      replicaType: "Managed",
      disallowed: { vmDiskType: "Unmanaged" },
      automaticOSUpgradeProperties: { automaticOSUpgradeSupported: false },
      imageDeprecationStatus: { imageState: "Active" },
      features: features(image),
      osDiskImage: { operatingSystem: image.os, sizeInGb: image.os === "Windows" ? 127 : 30 },
      dataDiskImages: [],
    },
    location,
    name: found,
    id: versionId(found),
  });
}

export const computeCatalogRoutes: ProviderRoutes = {
  namespace: "Microsoft.Compute",
  resourceTypes: [
    { type: CATALOG_TYPE, apiVersions: COMPUTE_API_VERSIONS },
    { type: "Microsoft.Compute/locations/publishers/artifacttypes/offers/skus/versions", apiVersions: COMPUTE_API_VERSIONS },
  ],
  routes: catalogRoutes,
};
