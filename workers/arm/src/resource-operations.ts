// The per-verb skeleton of every resource type, written once: authorize → validate → resource
// group (and parent) → the type's own read/write/delete → envelope. The HTTP routes, the resource
// group cascade, `GET …/resources` and the deployments engine all come through here, so a
// deployment never gets further than the same PUT sent on its own would.
import { ArmErrors } from "../../../shared/errors/arm";
import { publicBase } from "../../../shared/public-url";
import { resourceGroupId, subscriptionScope } from "../../../shared/resource-id";
import { armJson, subscriptionIndex } from "./arm-request";
import type { Caller } from "./authentication";
import { authorize, authorizeLinked } from "./authorization";
import type { ArmEnv } from "./env";
import { requireResourceGroup, requireWritableResourceGroup } from "./providers/resources/resource-group-store";
import type { ArmDocument, ResourceAddress, ResourceTypeRecord } from "./resource-types";
import { recordFor } from "./registry";
import { refuseControlCharacters, validateEnvelope } from "./request-body";

/** The id of a resource of `type` (canonical casing) named `names` in a resource group. */
export function resourceIdOf(subscriptionId: string, resourceGroup: string, type: string, names: string[]): string {
  const [namespace, ...types] = type.split("/");
  const pairs = types.map((t, i) => `${t}/${names[i]}`).join("/");
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${namespace}/${pairs}`;
}

/** An address for `names` (one per type segment) of `record`'s type. */
export function addressFor(record: ResourceTypeRecord, subscriptionId: string, resourceGroup: string, names: string[]): ResourceAddress {
  const depth = record.type.split("/").length - 1;
  const id = resourceIdOf(subscriptionId, resourceGroup, record.type, names);
  const parentType = record.type.split("/").slice(0, -1).join("/");
  return {
    id,
    subscriptionId,
    resourceGroup,
    name: names[names.length - 1]!,
    ...(depth > 1 ? { parentId: resourceIdOf(subscriptionId, resourceGroup, parentType, names.slice(0, -1)) } : {}),
  };
}

/**
 * Which registered type a resource id names, and its address; null for anything that is not a
 * resource in a resource group of a registered type.
 */
export function resolveResourceId(id: string): { record: ResourceTypeRecord; address: ResourceAddress } | null {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/(.+)$/i.exec(id.replace(/\/+$/, ""));
  if (!m) return null;
  const rest = m[4]!.split("/");
  if (rest.length % 2 !== 0) return null;
  const types = rest.filter((_, i) => i % 2 === 0);
  const names = rest.filter((_, i) => i % 2 === 1);
  const record = recordFor([m[3]!, ...types].join("/"));
  if (!record) return null;
  return { record, address: addressFor(record, m[1]!, m[2]!, names) };
}

/** ARM's 404 for a resource; a child is named by its whole path: Microsoft.X/parents/p/children and its name. */
function notFound(record: ResourceTypeRecord, address: ResourceAddress): Error {
  if (record.notFound) return record.notFound(address);
  const [namespace, ...types] = record.type.split("/");
  const names = address.id.split(/\/providers\//i).pop()!.split("/").filter((_, i) => i % 2 === 1);
  const path = types.map((t, i) => (i < types.length - 1 ? `${t}/${names[i]}` : t)).join("/");
  return ArmErrors.resourceNotFound(`${namespace}/${path}`, address.name, address.resourceGroup);
}

async function requireParent(env: ArmEnv, record: ResourceTypeRecord, address: ResourceAddress): Promise<void> {
  if (!address.parentId) return;
  const parent = resolveResourceId(address.parentId);
  if (!parent || !(await parent.record.read(env, parent.address))) throw notFound(parent?.record ?? record, parent?.address ?? address);
}

export async function readResource(env: ArmEnv, caller: Caller, record: ResourceTypeRecord, address: ResourceAddress): Promise<ArmDocument> {
  await authorize(env, caller, record.actions.read, address.id);
  await requireResourceGroup(env, address.subscriptionId, address.resourceGroup);
  await requireParent(env, record, address);
  const doc = await record.read(env, address);
  if (!doc) throw notFound(record, address);
  return doc;
}

export async function writeResource(
  env: ArmEnv,
  caller: Caller,
  record: ResourceTypeRecord,
  address: ResourceAddress,
  mode: "put" | "patch",
  body: Record<string, unknown> | (() => Promise<Record<string, unknown>>),
): Promise<{ status: number; body: ArmDocument }> {
  if (mode === "patch" && record.patchable === false) throw ArmErrors.methodNotAllowed("PATCH");
  refuseControlCharacters(address.name);
  record.validateName?.(address.name);
  await authorize(env, caller, record.actions.write, address.id);
  const content = typeof body === "function" ? await body() : body;
  validateEnvelope(content);
  const linked = record.links?.(env, content);
  if (linked && linked.links.length) await authorizeLinked(env, caller, record.actions.write, address.id, linked.links);
  const group = await requireWritableResourceGroup(env, address.subscriptionId, address.resourceGroup);
  await requireParent(env, record, address);
  // Ids carry the group's name as it was created.
  const canonical = { ...address, resourceGroup: group.name, id: withGroupName(address.id, group.name) };
  if (canonical.parentId) canonical.parentId = withGroupName(canonical.parentId, group.name);
  return record.write(env, { ...canonical, mode, body: content, caller });
}

export async function deleteResource(env: ArmEnv, caller: Caller, record: ResourceTypeRecord, address: ResourceAddress): Promise<{ status: number }> {
  await authorize(env, caller, record.actions.delete, address.id);
  await requireResourceGroup(env, address.subscriptionId, address.resourceGroup);
  if (address.parentId) {
    const parent = resolveResourceId(address.parentId);
    if (!parent || !(await parent.record.read(env, parent.address))) return { status: 204 };
  }
  return record.delete(env, address);
}

/** A type's resources in a resource group or a subscription, or a parent's children. */
export async function listResources(
  env: ArmEnv,
  caller: Caller,
  record: ResourceTypeRecord,
  where: { subscriptionId: string; resourceGroup?: string; parent?: ResourceAddress },
  query: URLSearchParams,
  requestUrl?: string,
): Promise<Response> {
  const scope = where.parent
    ? where.parent.id
    : where.resourceGroup
      ? resourceGroupId(where.subscriptionId, where.resourceGroup)
      : subscriptionScope(where.subscriptionId);
  await authorize(env, caller, record.actions.read, scope);
  if (where.resourceGroup) await requireResourceGroup(env, where.subscriptionId, where.resourceGroup);
  let docs: ArmDocument[];
  let nextLink: string | undefined;
  if (where.parent) {
    const parent = resolveResourceId(where.parent.id);
    const children = parent && (await parent.record.read(env, parent.address)) ? await record.listChildren?.(env, where.parent) : null;
    if (!children) throw notFound(parent?.record ?? record, where.parent);
    docs = children;
  } else {
    // Pages of LIST_PAGE_SIZE with a nextLink, as Resource Manager pages a long list: a list
    // costs its page, not the subscription's size.
    const after = decodeSkipToken(query.get("$skiptoken"));
    const { entries, next } = await subscriptionIndex(env).page(record.type, where.resourceGroup, after, LIST_PAGE_SIZE);
    if (next && requestUrl) {
      const url = new URL(requestUrl);
      url.searchParams.set("$skiptoken", btoa(next).replace(/=+$/, ""));
      nextLink = `${publicBase(env.ARM_URL, requestUrl)}${url.pathname}${url.search}`;
    }
    const read = await Promise.all(
      entries.map((e) => {
        const resolved = resolveResourceId(e.id);
        return resolved ? record.read(env, resolved.address) : null;
      }),
    );
    docs = read.filter((d): d is ArmDocument => d !== null);
  }
  // $top, where a provider supports it (Key Vault's list does), caps the page.
  const top = Number(query.get("$top"));
  return armJson({ value: Number.isInteger(top) && top > 0 ? docs.slice(0, top) : docs, ...(nextLink ? { nextLink } : {}) });
}

/** Entries per page of a resource list (Resource Manager's lists page at about this size). */
export const LIST_PAGE_SIZE = 1000;

/** A list's $skiptoken: the index key the previous page ended at (opaque to clients). */
function decodeSkipToken(token: string | null): string {
  if (!token) return "";
  try {
    return atob(token);
  } catch {
    throw ArmErrors.invalidParameter(`The value '${token}' of the query parameter '$skiptoken' is invalid.`, "InvalidSkipToken");
  }
}

function withGroupName(id: string, group: string): string {
  return id.replace(/^(\/subscriptions\/[^/]+\/resourceGroups\/)[^/]+/i, `$1${group}`);
}
