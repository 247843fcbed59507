// The OData parts of Graph's protocol the directory view speaks: `$filter` with `eq` on the
// indexed properties, `$top` and `$skiptoken` paging, `$select`, and the `@odata.context` /
// `@odata.nextLink` annotations of answers. Query options Graph knows but the emulator does not
// evaluate are refused rather than ignored, so a client never takes an unfiltered answer for a
// filtered one.
import { base64Decode } from "../../../shared/encoding";
import { GraphErrors } from "../../../shared/errors/graph";
import { isGuid } from "../../../shared/guid";
import type { ServicePrincipalFilter } from "../../../shared/rpc";

export const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;

const FILTERABLE: Record<string, ServicePrincipalFilter["property"]> = {
  appid: "appId",
  displayname: "displayName",
  serviceprincipaltype: "servicePrincipalType",
};
const SUPPORTED_FILTERS = "appId eq '…', displayName eq '…' and servicePrincipalType eq '…'";
/** `property eq 'value'`, quotes inside the value doubled as OData writes them. */
const EQ_CLAUSE = /^\s*([A-Za-z][A-Za-z0-9/]*)\s+eq\s+'((?:[^']|'')*)'\s*$/;
const UNEVALUATED_OPTIONS = ["$orderby", "$search", "$expand", "$count", "$skip", "$format"];

export interface CollectionQuery {
  filter?: ServicePrincipalFilter;
  top: number;
  skipToken?: string;
  select?: string[];
}

export function collectionQuery(params: URLSearchParams): CollectionQuery {
  for (const name of UNEVALUATED_OPTIONS) {
    if (params.has(name)) throw GraphErrors.unsupportedQueryOption(name, `$filter (${SUPPORTED_FILTERS}), $top, $skiptoken and $select`);
  }
  const query: CollectionQuery = { top: DEFAULT_PAGE_SIZE };
  const filter = params.get("$filter");
  if (filter !== null) query.filter = servicePrincipalFilter(filter);
  const top = params.get("$top");
  if (top !== null) {
    if (!/^\d+$/.test(top) || Number(top) < 1 || Number(top) > MAX_PAGE_SIZE) throw GraphErrors.invalidPageSize(top);
    query.top = Number(top);
  }
  const skipToken = params.get("$skiptoken");
  if (skipToken !== null) {
    if (!isGuid(decodeSkipToken(skipToken))) throw GraphErrors.invalidSkipToken();
    query.skipToken = skipToken;
  }
  const select = selection(params);
  if (select) query.select = select;
  return query;
}

export function servicePrincipalFilter(filter: string): ServicePrincipalFilter {
  const match = EQ_CLAUSE.exec(filter);
  if (!match) throw GraphErrors.unsupportedFilter(filter, SUPPORTED_FILTERS);
  const property = FILTERABLE[match[1]!.toLowerCase()];
  if (!property) throw GraphErrors.unsupportedFilterProperty(match[1]!, "ServicePrincipal");
  return { property, value: match[2]!.replace(/''/g, "'") };
}

function decodeSkipToken(token: string): string {
  try {
    return new TextDecoder().decode(base64Decode(token));
  } catch {
    return "";
  }
}

/** The properties named by $select, or undefined for all of them. */
export function selection(params: URLSearchParams): string[] | undefined {
  const select = params.get("$select");
  if (select === null) return undefined;
  const names = select.split(",").map((s) => s.trim()).filter(Boolean);
  return names.length > 0 ? names : undefined;
}

/** An entity cut down to the $select'ed properties (matched case-insensitively, as Graph does). */
export function project<T extends object>(entity: T, select: string[] | undefined): Record<string, unknown> {
  if (!select) return { ...(entity as Record<string, unknown>) };
  const wanted = new Set(select.map((s) => s.toLowerCase()));
  return Object.fromEntries(Object.entries(entity).filter(([key]) => wanted.has(key.toLowerCase())));
}

/** `@odata.context` of an entity set, a single entity of it, or a selection of either. */
export function contextUrl(base: string, entitySet: string, options: { entity?: boolean; select?: string[] } = {}): string {
  const selected = options.select ? `(${options.select.join(",")})` : "";
  return `${base}/v1.0/$metadata#${entitySet}${selected}${options.entity ? "/$entity" : ""}`;
}

/** The next page's link: the same request with `$skiptoken` moved on. */
export function nextLink(base: string, requestUrl: string, skipToken: string): string {
  const url = new URL(requestUrl);
  url.searchParams.set("$skiptoken", skipToken);
  return `${base}${url.pathname}${url.search}`;
}
