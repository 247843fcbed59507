// The data-plane api-versions Key Vault answers: every 7.x the SDKs have shipped with, the
// previews they defaulted to along the way (Debian 13's azure-keyvault-secrets 4.10 sends
// 7.6-preview.2 by default), and the date-style versions current SDKs send. Anything else is
// refused as Key Vault does.
import { KeyVaultErrors } from "../../../shared/errors/keyvault";

export const LATEST_API_VERSION = "2025-07-01";
const SUPPORTED = new Set([
  "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6",
  "7.0-preview", "7.2-preview", "7.3-preview", "7.4-preview.1", "7.5-preview.1", "7.6-preview.1", "7.6-preview.2",
  "2025-06-01-preview", LATEST_API_VERSION,
]);

export function requireApiVersion(query: URLSearchParams): string {
  const version = query.get("api-version");
  if (!version) throw KeyVaultErrors.missingApiVersion();
  if (!SUPPORTED.has(version)) throw KeyVaultErrors.unsupportedApiVersion(version, LATEST_API_VERSION);
  return version;
}
