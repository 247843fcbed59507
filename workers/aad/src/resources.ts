import firstParty from "./first-party-resources.json";
import { keyVaultDns, keyVaultResource } from "../../../shared/vault-uri";
import type { AadEnv } from "./env";

const KNOWN = new Set(firstParty.resources.map((r) => r.toLowerCase()));

/** The emulator's own public service URLs a client may name as a resource (set by the local server). */
export type OwnServiceUrls = Pick<AadEnv, "GRAPH_URL" | "ARM_URL" | "VAULT_URL" | "VAULT_DNS_SUFFIX">;

/** Resource identifiers compare without trailing slashes and case-insensitively, as Azure AD compares them. */
function normalize(resource: string): string {
  return resource.toLowerCase().replace(/\/+$/, "");
}

/**
 * Whether a resource principal with this identifier exists in every tenant. Azure refuses tokens
 * for anything else (AADSTS500011), and so do we. Besides Microsoft's first-party resources, the
 * emulator's own Graph and Resource Manager URLs are resources: a client pointed at the emulator
 * (az with a registered cloud) asks for tokens for them, as it would for graph.microsoft.com.
 * So is this cloud's Key Vault resource, https://{keyVaultDns} (what a host-named vault's
 * challenge names, as https://vault.azure.cn in a sovereign cloud).
 * Those match exactly, whole origin against whole origin: a prefix match would also admit
 * `https://127.0.0.1:8445.evil` or `https://127.0.0.1:84450`.
 */
export function isKnownResource(resource: string, own: OwnServiceUrls): boolean {
  const normalized = normalize(resource);
  if (KNOWN.has(normalized)) return true;
  const vault = own.VAULT_DNS_SUFFIX ? keyVaultResource(own.VAULT_DNS_SUFFIX, own.VAULT_URL) : undefined;
  if ([own.GRAPH_URL, own.ARM_URL, vault].some((url) => url !== undefined && url !== "" && normalize(url) === normalized)) return true;
  try {
    const url = new URL(normalized);
    if (url.protocol !== "https:") return false;
    // A vault's own URL names Key Vault too (https://{vault}.{keyVaultDns}), as {vault}.vault.azure.net does.
    if (own.VAULT_DNS_SUFFIX && url.host.endsWith(`.${keyVaultDns(own.VAULT_DNS_SUFFIX, own.VAULT_URL)}`)) return true;
    return firstParty.hostSuffixes.some((suffix) => url.hostname.endsWith(suffix));
  } catch {
    return false;
  }
}
