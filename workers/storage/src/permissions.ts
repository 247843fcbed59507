// Authorization of each operation, as Azure Storage does it for Azure AD callers: container
// operations are checked as control-plane *actions* (so Owner/Contributor may create and list
// containers), blob operations as *data actions* (only the Storage Blob Data roles read or write
// blobs), both by Resource Manager over the caller's role assignments at the container's scope
// ({account id}/blobServices/default/containers/{c}) or, for List Containers, the blob service's.
// Shared Key callers own the account (no check); anonymous callers reach only what a container's
// public access level opens (Blob: its blobs; Container: also its listing and properties).
import { StorageErrors } from "../../../shared/errors/storage";
import { logLine } from "../../../shared/request-log";
import type { StorageAccountConfiguration } from "../../../shared/rpc";
import type { StorageCaller } from "./authentication";
import type { StorageEnv } from "./env";
import type { ContainerRecord } from "./model";

const CONTAINERS = "Microsoft.Storage/storageAccounts/blobServices/containers";

export const Actions = {
  containerRead: `${CONTAINERS}/read`,
  containerWrite: `${CONTAINERS}/write`,
  containerDelete: `${CONTAINERS}/delete`,
  serviceRead: "Microsoft.Storage/storageAccounts/blobServices/read",
} as const;

export const DataActions = {
  blobRead: `${CONTAINERS}/blobs/read`,
  blobWrite: `${CONTAINERS}/blobs/write`,
  blobAdd: `${CONTAINERS}/blobs/add/action`,
  blobDelete: `${CONTAINERS}/blobs/delete`,
} as const;

export function blobServiceScope(account: StorageAccountConfiguration): string {
  return `${account.resourceId}/blobServices/default`;
}

export function containerScope(account: StorageAccountConfiguration, container: string): string {
  return `${blobServiceScope(account)}/containers/${container}`;
}

/** What an operation needs: an action or one of some data actions (any suffices), at a scope. */
export type Permission =
  | { kind: "action"; name: string; scope: string }
  | { kind: "dataAction"; names: string[]; scope: string };

/** How much public access an anonymous caller needs for the operation (null: never anonymous). */
export type AnonymousLevel = "blob" | "container" | null;

export interface AuthorizationContext {
  env: StorageEnv;
  caller: StorageCaller;
}

/**
 * Throws 403 AuthorizationPermissionMismatch unless the caller may; anonymous callers get the
 * 401 challenge unless the container's public access covers `anonymous`.
 */
export async function authorize(
  ctx: AuthorizationContext,
  permission: Permission,
  anonymous: AnonymousLevel = null,
  container: ContainerRecord | null = null,
): Promise<void> {
  const { caller, env } = ctx;
  if (caller.kind === "sharedKey") return;
  if (caller.kind === "anonymous") {
    const access = container?.publicAccess ?? "None";
    const open = anonymous === "blob" ? access === "Blob" || access === "Container" : anonymous === "container" ? access === "Container" : false;
    if (open) return;
    throw StorageErrors.noAuthentication();
  }
  let allowed = false;
  if (permission.kind === "action") {
    allowed = (await env.ARM.checkAction(caller.objectId, permission.name, permission.scope)).allowed;
  } else {
    for (const name of permission.names) {
      if ((await env.ARM.checkDataAction(caller.objectId, name, permission.scope)).allowed) {
        allowed = true;
        break;
      }
    }
  }
  if (allowed) return;
  const what = permission.kind === "action" ? permission.name : permission.names.join(" or ");
  logLine(env, "storage", `denied ${what} at ${permission.scope} for ${caller.objectId}`);
  throw StorageErrors.authorizationPermissionMismatch();
}
