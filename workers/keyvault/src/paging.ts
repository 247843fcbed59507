// Key Vault's paging: `maxresults` (1-25, default 25) and a nextLink that carries an opaque
// $skiptoken, the api-version and maxresults, as the service writes it. Clients follow the
// nextLink as given, so it keeps the vault's path (shared/vault-uri.ts).
import { base64UrlEncode, base64Decode } from "../../../shared/encoding";
import { KeyVaultErrors } from "../../../shared/errors/keyvault";

const DEFAULT_PAGE = 25;

export interface PageRequest {
  limit: number;
  /** Where this page starts (decoded from $skiptoken), or null for the first page. */
  after: string | null;
  explicitLimit: boolean;
}

export function readPageRequest(query: URLSearchParams): PageRequest {
  const raw = query.get("maxresults");
  let limit = DEFAULT_PAGE;
  if (raw !== null && raw !== "") {
    limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > DEFAULT_PAGE) {
      throw KeyVaultErrors.badParameter(`Invalid maxresults value '${raw}': it must be an integer from 1 to ${DEFAULT_PAGE}.`);
    }
  }
  const token = query.get("$skiptoken");
  return { limit, after: token ? decodeSkipToken(token) : null, explicitLimit: raw !== null && raw !== "" };
}

function decodeSkipToken(token: string): string {
  try {
    const decoded = JSON.parse(new TextDecoder().decode(base64Decode(token))) as { NextMarker?: unknown };
    if (typeof decoded.NextMarker === "string") return decoded.NextMarker;
  } catch {
    /* fall through */
  }
  throw KeyVaultErrors.badParameter("The $skiptoken is not valid.");
}

/** `collectionUrl`: the list's URL without query, e.g. {vaultUri}secrets. */
export function nextLink(collectionUrl: string, apiVersion: string, page: PageRequest, next: string | null): string | null {
  if (next === null) return null;
  const token = base64UrlEncode(new TextEncoder().encode(JSON.stringify({ NextMarker: next })));
  return `${collectionUrl}?api-version=${encodeURIComponent(apiVersion)}&$skiptoken=${token}${page.explicitLimit ? `&maxresults=${page.limit}` : ""}`;
}
