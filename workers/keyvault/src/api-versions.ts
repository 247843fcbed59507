// The data-plane api-versions Key Vault answers: every 7.x the SDKs have shipped with, and the
// date-style version the current SDKs default to. Anything else is refused as Key Vault does.
import { KeyVaultErrors } from "../../../shared/errors/keyvault";

export const LATEST_API_VERSION = "2025-07-01";
const SUPPORTED = new Set(["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", LATEST_API_VERSION]);

export function requireApiVersion(query: URLSearchParams): string {
  const version = query.get("api-version");
  if (!version) throw KeyVaultErrors.missingApiVersion();
  if (!SUPPORTED.has(version)) throw KeyVaultErrors.unsupportedApiVersion(version, LATEST_API_VERSION);
  return version;
}
