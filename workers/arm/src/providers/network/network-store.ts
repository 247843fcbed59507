// What every Microsoft.Network document shares: one ResourceObject per resource (keyed by its
// lower-cased id) plus the subscription index; a new etag W/"<guid>" on every write; a stable
// resourceGuid; Azure's name rule; PATCH as updateTags (the only PATCH the Network RP has).
//
// Network resources refer to each other (a NIC to its subnet, public IP and NSG) and the referred-to
// documents record who uses them (a subnet's ipConfigurations, a public IP's ipConfiguration). Those
// records change through mutate(): a read-modify-write on the document's version, so two NICs
// joining one subnet at once never lose each other's address.
import { stubOf } from "../../../../../shared/durable";
import { ArmErrors } from "../../../../../shared/errors/arm";
import { parseResourceId, resourceKey } from "../../../../../shared/resource-id";
import { subscriptionIndex } from "../../arm-request";
import type { ArmEnv } from "../../env";
import { isObject, normalizeLocation, validateTags } from "../../request-body";
import type { ArmDocument, WriteInput } from "../../resource-types";
import type { ResourceObject } from "../resources/resource-object";
import { NetworkErrors } from "./network-errors";

export type NetworkProperties = Record<string, any> & { provisioningState: "Succeeded"; resourceGuid?: string };

export type NetworkDocument = ArmDocument & {
  location: string;
  tags: Record<string, string>;
  etag: string;
  properties: NetworkProperties;
};

export function networkObject(env: ArmEnv, id: string) {
  return stubOf<ResourceObject>(env.RESOURCES, resourceKey(id));
}

export async function readNetworkDocument<T extends ArmDocument = NetworkDocument>(env: ArmEnv, id: string): Promise<T | null> {
  return (await networkObject(env, id).read()) as T | null;
}

/**
 * Changes one document without losing a concurrent change: `change` sees the current document
 * (null: none) and returns the next one (null: erase it; undefined: leave it as it is), and runs
 * again if another write came in between. Whatever `change` throws aborts the change.
 */
export async function mutate<T extends ArmDocument>(
  env: ArmEnv,
  id: string,
  change: (doc: T | null) => T | null | undefined | Promise<T | null | undefined>,
): Promise<{ doc: T | null; previous: T | null }> {
  const object = networkObject(env, id);
  for (let attempt = 0; attempt < 50; attempt++) {
    const { doc, version } = await object.readVersioned();
    const next = await change(doc as T | null);
    if (next === undefined) return { doc: doc as T | null, previous: doc as T | null };
    if (await object.writeIfVersion(version, next)) return { doc: next, previous: doc as T | null };
  }
  throw NetworkErrors.anotherOperation(id);
}

export function newEtag(): string {
  return `W/"${crypto.randomUUID()}"`;
}

/** 1-80 word characters, '.', '-' or '_'; starts with a letter or digit, ends with one or with '_'. */
const NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_])?$/;

export function validateNetworkName(name: string): void {
  if (!NAME.test(name)) throw NetworkErrors.invalidName(name);
}

export function sameId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && resourceKey(a) === resourceKey(b);
}

/** `properties` of a PUT body: absent is {}, anything but an object is refused. */
export function bodyProperties(body: Record<string, unknown>): Record<string, any> {
  if (body.properties === undefined || body.properties === null) return {};
  if (!isObject(body.properties)) throw ArmErrors.invalidRequestContent("properties must be an object");
  return body.properties;
}

export interface Envelope {
  id: string;
  name: string;
  type: string;
  location: string;
  tags: Record<string, string>;
  etag: string;
  resourceGuid: string;
}

/**
 * The envelope of a PUT: id, name, type, location (required, and a resource never moves), tags and
 * a new etag; the resourceGuid of the existing document is kept.
 */
export function envelope(type: string, input: WriteInput, existing: NetworkDocument | null): Envelope {
  const { body } = input;
  if (typeof body.location !== "string" || body.location.trim() === "") throw ArmErrors.locationRequired();
  const location = normalizeLocation(body.location);
  if (existing && existing.location !== location) throw NetworkErrors.locationChange(input.name, input.resourceGroup, existing.location, location);
  return {
    id: existing?.id ?? input.id,
    name: existing?.name ?? input.name,
    type,
    location,
    tags: body.tags === undefined ? {} : validateTags(body.tags),
    etag: newEtag(),
    resourceGuid: existing?.properties.resourceGuid ?? crypto.randomUUID(),
  };
}

/**
 * The id a reference names (`{ "id": "…" }` at `path`). Not an id at all: LinkedInvalidPropertyId.
 * An id of another type or subscription: InvalidResourceReference (it cannot exist).
 */
export function referenceId(value: unknown, path: string, type: string, subscriptionId: string, referrer: string): string {
  const id = isObject(value) ? value.id : undefined;
  const parsed = typeof id === "string" ? parseResourceId(id) : null;
  if (!parsed || !parsed.resourceGroup) throw NetworkErrors.invalidPropertyId(id, `${path}.id`);
  const parsedType = [parsed.namespace!, ...parsed.types].join("/");
  if (parsedType.toLowerCase() !== type.toLowerCase() || parsed.subscriptionId!.toLowerCase() !== subscriptionId.toLowerCase()) {
    throw NetworkErrors.invalidReference(id as string, referrer);
  }
  return id as string;
}

/** The id a body names at `value.id`, if it names one (for linked access, before anything is validated). */
export function namedId(value: unknown): string | undefined {
  return isObject(value) && typeof value.id === "string" && value.id.startsWith("/") ? value.id : undefined;
}

/** PATCH: the Network RP's updateTags. The body's tags replace the document's; nothing else changes. */
export async function updateTags<T extends NetworkDocument>(env: ArmEnv, input: WriteInput, type: string, present: (doc: T) => ArmDocument) {
  const tags = input.body.tags === undefined ? undefined : validateTags(input.body.tags);
  const { doc } = await mutate<T>(env, input.id, (existing) => {
    if (!existing) throw ArmErrors.resourceNotFound(type, input.name, input.resourceGroup);
    return { ...existing, tags: tags ?? existing.tags, etag: newEtag() };
  });
  return { status: 200, body: present(doc!) };
}

/** Creates or replaces a document whose write touches no other resource; 201 when created. */
export async function putDocument<T extends NetworkDocument>(env: ArmEnv, input: WriteInput, type: string, build: (existing: T | null) => T) {
  const { doc, previous } = await mutate<T>(env, input.id, (existing) => build(existing));
  await subscriptionIndex(env).upsert({ id: doc!.id, type, resourceGroup: input.resourceGroup });
  return { doc: doc!, created: previous === null };
}

/** Deletes a document once `check` (which throws when it is in use) lets it go; 204 when there was none. */
export async function deleteDocument<T extends NetworkDocument>(
  env: ArmEnv,
  id: string,
  check: (doc: T) => void | Promise<void>,
): Promise<{ status: number; deleted: T | null }> {
  const { previous } = await mutate<T>(env, id, async (doc) => {
    if (!doc) return undefined;
    await check(doc);
    return null;
  });
  if (!previous) return { status: 204, deleted: null };
  await subscriptionIndex(env).remove(previous.id);
  return { status: 200, deleted: previous };
}

/** The common part of every record of a Network type. */
export function networkActions(type: string) {
  return { read: `${type}/read`, write: `${type}/write`, delete: `${type}/delete` };
}
