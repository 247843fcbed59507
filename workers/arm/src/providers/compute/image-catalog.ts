// The VM image catalog (images.json): the marketplace images the emulator knows, shared by the
// catalog routes and the VM document, which takes its OS type from the image as Azure does.
import catalog from "./images.json";

export interface CatalogImage {
  publisher: string;
  offer: string;
  sku: string;
  os: string;
  hyperVGeneration: string;
  securityType?: string;
  versions: string[];
}

export const IMAGES: CatalogImage[] = catalog.images;
export const IMAGE_ALIASES = catalog.aliases;

/** The OS of the catalog image an `imageReference` names, if it names one. */
export function catalogOsType(imageReference: unknown): "Linux" | "Windows" | undefined {
  if (typeof imageReference !== "object" || imageReference === null) return undefined;
  const ref = imageReference as Record<string, unknown>;
  const same = (a: unknown, b: string) => typeof a === "string" && a.toLowerCase() === b.toLowerCase();
  const image = IMAGES.find((i) => same(ref.publisher, i.publisher) && same(ref.offer, i.offer) && same(ref.sku, i.sku));
  return image ? (image.os === "Windows" ? "Windows" : "Linux") : undefined;
}
