// The OData parts of Graph's protocol the directory view speaks: `$filter` (one clause: `eq` on
// the indexed properties, `startswith` on displayName, `any` on servicePrincipalNames; the
// authority evaluates it over its index), `$top` and `$skiptoken` paging, `$select`, and the
// `@odata.context` / `@odata.nextLink` annotations of answers. Query options Graph knows but the
// emulator does not evaluate are refused rather than ignored, so a client never takes an
// unfiltered answer for a filtered one.
import { base64Decode } from "../../../shared/encoding";
import { GraphErrors } from "../../../shared/errors/graph";
import { isGuid } from "../../../shared/guid";
import type { ServicePrincipalFilter } from "../../../shared/rpc";

export const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;

type EqFilter = Extract<ServicePrincipalFilter, { operator: "eq" }>;

/** Property names are case-insensitive in Graph's $filter. */
const EQ_FILTERABLE: Record<string, EqFilter["property"]> = {
  appid: "appId",
  displayname: "displayName",
  serviceprincipaltype: "servicePrincipalType",
};
const SUPPORTED_FILTERS =
  "appId eq '…', displayName eq '…', servicePrincipalType eq '…', startswith(displayName,'…') and servicePrincipalNames/any(c:c eq '…')";

// Quotes inside a value are doubled, as OData writes them.
const STRING = "'((?:[^']|'')*)'";
/** `property eq 'value'`. */
const EQ_CLAUSE = new RegExp(`^\\s*([A-Za-z][A-Za-z0-9/]*)\\s+eq\\s+${STRING}\\s*$`);
/** `startswith(property,'prefix')`. */
const STARTSWITH_CLAUSE = new RegExp(`^\\s*startswith\\s*\\(\\s*([A-Za-z][A-Za-z0-9/]*)\\s*,\\s*${STRING}\\s*\\)\\s*$`, "i");
/** `collection/any(v:v eq 'value')`, the lambda variable any name, compared with itself. */
const ANY_CLAUSE = new RegExp(
  `^\\s*([A-Za-z][A-Za-z0-9]*)\\s*/\\s*any\\s*\\(\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*:\\s*([A-Za-z_][A-Za-z0-9_]*)\\s+eq\\s+${STRING}\\s*\\)\\s*$`,
  "i",
);
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

const unquote = (value: string) => value.replace(/''/g, "'");

export function servicePrincipalFilter(filter: string): ServicePrincipalFilter {
  const eq = EQ_CLAUSE.exec(filter);
  if (eq) {
    const property = EQ_FILTERABLE[eq[1]!.toLowerCase()];
    if (!property) throw GraphErrors.unsupportedFilterProperty(eq[1]!, "ServicePrincipal");
    return { operator: "eq", property, value: unquote(eq[2]!) };
  }
  const startsWith = STARTSWITH_CLAUSE.exec(filter);
  if (startsWith) {
    if (startsWith[1]!.toLowerCase() !== "displayname") throw GraphErrors.unsupportedFilterProperty(startsWith[1]!, "ServicePrincipal");
    return { operator: "startsWith", property: "displayName", value: unquote(startsWith[2]!) };
  }
  const any = ANY_CLAUSE.exec(filter);
  // The variable compared must be the lambda's own: `c:d eq '…'` is not a name test.
  if (any && any[2] === any[3]) {
    if (any[1]!.toLowerCase() !== "serviceprincipalnames") throw GraphErrors.unsupportedFilterProperty(any[1]!, "ServicePrincipal");
    return { operator: "any", property: "servicePrincipalNames", value: unquote(any[4]!) };
  }
  throw GraphErrors.unsupportedFilter(filter, SUPPORTED_FILTERS);
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
