import firstParty from "./first-party-resources.json";

const KNOWN = new Set(firstParty.resources.map((r) => r.toLowerCase()));

/**
 * Whether a resource principal with this identifier exists in every tenant. Azure refuses tokens
 * for anything else (AADSTS500011), and so do we.
 */
export function isKnownResource(resource: string): boolean {
  const normalized = resource.toLowerCase().replace(/\/+$/, "");
  if (KNOWN.has(normalized)) return true;
  try {
    const url = new URL(normalized);
    return url.protocol === "https:" && firstParty.hostSuffixes.some((suffix) => url.hostname.endsWith(suffix));
  } catch {
    return false;
  }
}
