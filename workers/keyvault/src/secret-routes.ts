// The secrets operations of the data plane, below a vault's URL: each one is parsed, authorized as
// its data action, run in the vault's object, and answered in Key Vault's shapes.
//
//   PUT    secrets/{name}                 set (a new version)          setSecret/action
//   GET    secrets/{name}[/][/{version}]  get (latest when no version) getSecret/action
//   PATCH  secrets/{name}[/{version}]     update attributes            update/action
//   DELETE secrets/{name}                 delete (soft per the vault)  delete
//   GET    secrets, secrets/{name}/versions                            readMetadata/action
//   GET    deletedsecrets[/{name}]                                     readMetadata/action
//   DELETE deletedsecrets/{name}          purge (204)                  purge/action
//   POST   deletedsecrets/{name}/recover                               recover/action
import type { StubOf } from "../../../shared/durable";
import { KeyVaultError, KeyVaultErrors } from "../../../shared/errors/keyvault";
import type { VaultCaller } from "./authentication";
import { DataActions, authorizeDataAction, secretScope } from "./data-actions";
import type { KeyVaultEnv } from "./env";
import { nextLink, readPageRequest } from "./paging";
import { deletedSecretBundle, deletedSecretItem, secretBundle, secretItem, type VaultView } from "./secret-bundles";
import { isVersion, readSecretSet, readSecretUpdate, requireSecretName } from "./secret-input";
import type { VaultObject, VaultResult } from "./vault-object";

export interface VaultRequest {
  raw: Request;
  env: KeyVaultEnv;
  method: string;
  /** The path below the vault's URL, e.g. ["secrets", "db-password", ""] (a trailing slash leaves ""). */
  segments: string[];
  query: URLSearchParams;
  caller: VaultCaller;
  apiVersion: string;
  view: VaultView;
  /** The vault's own URL (its vaultUri, trailing slash), for nextLinks. */
  vaultUri: string;
  vault: StubOf<VaultObject>;
}

export function keyVaultJson(body: unknown, status = 200): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: body === null ? {} : { "content-type": "application/json; charset=utf-8" },
  });
}

function unwrap<T>(result: VaultResult<T>): T {
  if (!result.ok) throw KeyVaultError.fromRefusal(result.refusal);
  return result.value;
}

export async function handleSecrets(req: VaultRequest): Promise<Response> {
  // "secrets/{name}/" (the SDKs' get-latest) and "secrets/{name}" address the same thing.
  const segments = req.segments[req.segments.length - 1] === "" ? req.segments.slice(0, -1) : req.segments;
  const [collection, name, third, ...rest] = segments;
  if (rest.length > 0) throw KeyVaultErrors.notFound(`/${req.segments.join("/")}`);
  switch (collection?.toLowerCase()) {
    case "secrets":
      if (name === undefined) return listSecrets(req);
      requireSecretName(name);
      if (third === undefined) return secret(req, name, null);
      if (third.toLowerCase() === "versions") return listVersions(req, name);
      return secret(req, name, third);
    case "deletedsecrets":
      if (name === undefined) return listDeletedSecrets(req);
      requireSecretName(name);
      if (third === undefined) return deletedSecret(req, name);
      if (third.toLowerCase() === "recover") return recover(req, name);
      throw KeyVaultErrors.notFound(`/${req.segments.join("/")}`);
    default:
      throw KeyVaultErrors.notFound(`/${req.segments.join("/")}`);
  }
}

async function authorize(req: VaultRequest, action: string, scope: string): Promise<void> {
  await authorizeDataAction(req.env, req.caller, req.view.vault, action, scope);
}

async function secret(req: VaultRequest, name: string, version: string | null): Promise<Response> {
  const scope = secretScope(req.view.vault, name);
  // A segment that cannot be a version names nothing (Key Vault answers 404 SecretNotFound).
  const known = version === null || isVersion(version);
  switch (req.method) {
    case "GET": {
      await authorize(req, DataActions.getSecret, scope);
      if (!known) throw KeyVaultErrors.secretNotFound(name, version!);
      const record = unwrap(await req.vault.getSecret(name, version));
      if (!record.enabled) throw KeyVaultErrors.secretDisabled("get");
      return keyVaultJson(secretBundle(req.view, record, true));
    }
    case "PUT": {
      if (version !== null) throw KeyVaultErrors.methodNotAllowed(req.method);
      await authorize(req, DataActions.setSecret, scope);
      const input = await readSecretSet(req.raw);
      return keyVaultJson(secretBundle(req.view, unwrap(await req.vault.setSecret(name, input)), true));
    }
    case "PATCH": {
      await authorize(req, DataActions.update, scope);
      const patch = await readSecretUpdate(req.raw);
      if (!known) throw KeyVaultErrors.secretNotFound(name, version!);
      return keyVaultJson(secretBundle(req.view, unwrap(await req.vault.updateSecret(name, version, patch)), false));
    }
    case "DELETE": {
      if (version !== null) throw KeyVaultErrors.methodNotAllowed(req.method);
      await authorize(req, DataActions.delete, scope);
      const deleted = unwrap(await req.vault.deleteSecret(name));
      return keyVaultJson(deletedSecretBundle(req.view, deleted, deleted.recoverable));
    }
    default:
      throw KeyVaultErrors.methodNotAllowed(req.method);
  }
}

/**
 * Every list of the data plane: a read of metadata at `scope`, one page from the vault, and a
 * nextLink to `collectionUrl` when more remain.
 */
async function pagedList<T>(
  req: VaultRequest,
  scope: string,
  collectionUrl: string,
  fetchPage: (after: string | null, limit: number) => Promise<{ items: T[]; next: string | null }>,
  toItem: (record: T) => unknown,
): Promise<Response> {
  if (req.method !== "GET") throw KeyVaultErrors.methodNotAllowed(req.method);
  await authorize(req, DataActions.readMetadata, scope);
  const page = readPageRequest(req.query);
  const result = await fetchPage(page.after, page.limit);
  return keyVaultJson({ value: result.items.map(toItem), nextLink: nextLink(collectionUrl, req.apiVersion, page, result.next) });
}

function listSecrets(req: VaultRequest): Promise<Response> {
  return pagedList(req, req.view.vault.resourceId, `${req.vaultUri}secrets`, (after, limit) => req.vault.listSecrets(after, limit), (r) =>
    secretItem(req.view, r, false),
  );
}

function listVersions(req: VaultRequest, name: string): Promise<Response> {
  return pagedList(
    req,
    secretScope(req.view.vault, name),
    `${req.vaultUri}secrets/${name}/versions`,
    (after, limit) => req.vault.listVersions(name, after, limit),
    (r) => secretItem(req.view, r, true),
  );
}

function listDeletedSecrets(req: VaultRequest): Promise<Response> {
  return pagedList(req, req.view.vault.resourceId, `${req.vaultUri}deletedsecrets`, (after, limit) => req.vault.listDeletedSecrets(after, limit), (d) =>
    deletedSecretItem(req.view, d),
  );
}

async function deletedSecret(req: VaultRequest, name: string): Promise<Response> {
  const scope = secretScope(req.view.vault, name);
  switch (req.method) {
    case "GET": {
      await authorize(req, DataActions.readMetadata, scope);
      return keyVaultJson(deletedSecretBundle(req.view, unwrap(await req.vault.getDeletedSecret(name))));
    }
    case "DELETE": {
      await authorize(req, DataActions.purge, scope);
      unwrap(await req.vault.purgeDeletedSecret(name));
      return keyVaultJson(null, 204);
    }
    default:
      throw KeyVaultErrors.methodNotAllowed(req.method);
  }
}

async function recover(req: VaultRequest, name: string): Promise<Response> {
  if (req.method !== "POST") throw KeyVaultErrors.methodNotAllowed(req.method);
  await authorize(req, DataActions.recover, secretScope(req.view.vault, name));
  return keyVaultJson(secretBundle(req.view, unwrap(await req.vault.recoverDeletedSecret(name)), false));
}
