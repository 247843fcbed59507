// The Blob Storage data plane of every storage account, on one origin.
//
// Design:
// - An account is addressed by path ({STORAGE_URL}/{account}/{container}/{blob}, what the SDKs
//   call IP endpoint style, the local default at 127.0.0.1) or by host
//   (https://{account}.blob.{STORAGE_DNS_SUFFIX}[:port]/{container}/{blob}, as in Azure);
//   addressing.ts. An unknown account is 404 ResourceNotFound: in Azure its host name would not
//   resolve at all, and a 404 with Storage's code is what a user (and an SDK's exists()) expects
//   of a name that is not there.
// - One Durable Object per account (StorageAccountObject, keyed by the lower-case name) holds the
//   account's configuration from Resource Manager, its containers and blobs' metadata in SQLite;
//   blob bytes are in R2 (BLOBS), each committed version under a fresh key (account-object.ts).
// - Each request is checked in Storage's order: the account exists, x-ms-version is well formed,
//   the caller authenticates (Bearer token of our authority, Shared Key, or anonymous:
//   authentication.ts), the operation's inputs are valid, the caller is authorized (Resource
//   Manager's RBAC for Bearer callers: permissions.ts), then the account's object acts.
// - Every answer carries x-ms-request-id, x-ms-version (the caller's), Date; every error the XML
//   body and x-ms-error-code (shared/errors/storage.ts); every 401 the Bearer challenge.
// RPC (StorageAdminRpc): Resource Manager configures and removes accounts and manages containers.
import { WorkerEntrypoint } from "cloudflare:workers";
import { Hono } from "hono";
import { stubOf } from "../../../shared/durable";
import { applyClockOffset, emulatorDate, syncClock } from "../../../shared/emulator-clock";
import { EMULATOR_STATE_NAME, type EmulatorState } from "../../../shared/emulator-state";
import { StorageError, StorageErrors, storageErrorBody } from "../../../shared/errors/storage";
import { HEALTH_PATH, healthResponse } from "../../../shared/health";
import { accepted, refused, type Outcome } from "../../../shared/outcome";
import { noteCaller, requestLog } from "../../../shared/request-log";
import type { BlobContainerView, EmulatorControlRpc, StorageAccountConfiguration, StorageAdminRpc, StorageRefusal } from "../../../shared/rpc";
import type { StorageAccountObject } from "./account-object";
import { storageAddress } from "./addressing";
import { authenticate, storageChallenge } from "./authentication";
import { handleBlob } from "./blob-routes";
import { handleContainer } from "./container-routes";
import type { StorageRequest } from "./context";
import type { StorageEnv } from "./env";
import { containerView } from "./model";
import { isValidContainerName, metadataProblem } from "./names";
import { getAccountInformation, getServiceProperties, listContainers } from "./service-routes";

export { StorageAccountObject } from "./account-object";
export { EmulatorState } from "../../../shared/emulator-state";

/** Registry kind (EmulatorState) of the accounts the data plane holds, for POST {arm}/emulator/reset. */
const ACCOUNT_KIND = "storageAccount";
/** What Azure answers as x-ms-version to a request that named none. */
const DEFAULT_VERSION = "2009-09-19";

function emulatorState(env: StorageEnv) {
  return stubOf<EmulatorState>(env.EMULATOR, EMULATOR_STATE_NAME);
}

function accountObject(env: StorageEnv, name: string) {
  return stubOf<StorageAccountObject>(env.ACCOUNTS, name.toLowerCase());
}

type Variables = { tenantId: string; requestId: string };
const app = new Hono<{ Bindings: StorageEnv; Variables: Variables }>();

app.onError((err, c) => {
  const error = err instanceof StorageError ? err : null;
  if (!error) console.error("storage: unexpected error", err);
  const storageError = error ?? StorageErrors.internal();
  const headers = new Headers(storageError.headers);
  headers.set("x-ms-error-code", storageError.code);
  if (storageError.status === 401) headers.set("WWW-Authenticate", storageChallenge(c.env.LOGIN_URL, c.get("tenantId") ?? c.env.TENANT_ID));
  // HEAD answers and 304s carry no body: status and x-ms-error-code only.
  const bodyless = c.req.method === "HEAD" || storageError.status === 304;
  if (!bodyless) headers.set("content-type", "application/xml");
  const body = bodyless ? null : storageErrorBody(storageError, c.get("requestId") ?? crypto.randomUUID(), emulatorDate());
  return new Response(body, { status: storageError.status, headers });
});

app.use("*", requestLog("storage"));
app.use("*", async (c, next) => {
  c.set("requestId", crypto.randomUUID());
  await syncClock(() => emulatorState(c.env).clockOffset());
  await next();
  c.res.headers.set("x-ms-request-id", c.get("requestId"));
  c.res.headers.set("x-ms-version", c.req.header("x-ms-version") ?? DEFAULT_VERSION);
  c.res.headers.set("date", emulatorDate().toUTCString());
  c.res.headers.set("server", "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0");
  const clientRequestId = c.req.header("x-ms-client-request-id");
  if (clientRequestId) c.res.headers.set("x-ms-client-request-id", clientRequestId);
});

app.get(HEALTH_PATH, () => healthResponse());

app.all("*", async (c) => {
  const url = new URL(c.req.url);
  const host = c.req.header("host") ?? url.host;
  const address = storageAddress(url, host, c.env.STORAGE_DNS_SUFFIX, c.env.STORAGE_URL);
  if (!/^[a-z0-9]{3,24}$/.test(address.account)) throw StorageErrors.accountNotFound();
  const object = accountObject(c.env, address.account);
  const account = await object.settings();
  if (!account) throw StorageErrors.accountNotFound();
  c.set("tenantId", account.tenantId);

  const version = c.req.header("x-ms-version") ?? null;
  if (version !== null && !/^\d{4}-\d{2}-\d{2}$/.test(version)) throw StorageErrors.invalidHeaderValue("x-ms-version", version);
  const caller = await authenticate({ env: c.env, account, request: c.req.raw, url, version });
  if (caller.kind === "bearer") noteCaller(c.req.raw, { objectId: caller.objectId, appId: caller.appId });
  else if (caller.kind === "sharedKey") noteCaller(c.req.raw, { appId: `SharedKey:${account.name}`, name: "Shared Key" });

  let container = address.container;
  let blob = address.blob;
  const restype = url.searchParams.get("restype");
  const comp = url.searchParams.get("comp");
  // /{account}/{name} without restype addresses the blob {name} of the root container, as in Azure.
  if (container !== null && blob === null && restype === null) {
    blob = container;
    container = "$root";
  }
  const req: StorageRequest = {
    raw: c.req.raw,
    env: c.env,
    method: c.req.method,
    url,
    query: url.searchParams,
    account,
    accountName: account.name.toLowerCase(),
    accountBase: address.accountBase,
    container,
    blob,
    caller,
    object,
  };

  if (restype === "account" && comp === "properties" && (req.method === "GET" || req.method === "HEAD")) return getAccountInformation(req);
  if (container === null) return serviceOperation(req, restype, comp);
  if (blob === null) {
    if (restype !== "container") throw StorageErrors.invalidQueryParameterValue("restype", restype ?? "");
    return handleContainer(req);
  }
  return handleBlob(req);
});

function serviceOperation(req: StorageRequest, restype: string | null, comp: string | null): Promise<Response> {
  if (restype === "service" && comp === "properties") {
    if (req.method === "GET") return getServiceProperties(req);
    if (req.method === "PUT") throw StorageErrors.notImplemented("setting blob service properties");
    throw StorageErrors.unsupportedHttpVerb(req.method);
  }
  if (restype === "service" && comp === "stats") throw StorageErrors.notImplemented("blob service statistics");
  if (restype === "service" && comp === "userdelegationkey") throw StorageErrors.notImplemented("user delegation keys");
  if (comp === "list") {
    if (req.method === "GET") return listContainers(req);
    throw StorageErrors.unsupportedHttpVerb(req.method);
  }
  if (comp === "blobs") throw StorageErrors.notImplemented("finding blobs by tags");
  if (comp === "batch") throw StorageErrors.notImplemented("blob batches");
  throw StorageErrors.invalidQueryParameterValue("comp", comp ?? "");
}

export default { fetch: app.fetch } satisfies ExportedHandler<StorageEnv>;

/** Resource Manager's view of the data plane (service binding entrypoint "StorageAdminService"). */
export class StorageAdminService extends WorkerEntrypoint<StorageEnv> implements StorageAdminRpc, EmulatorControlRpc {
  /**
   * Creates or updates the account's record. The account's object is keyed by its name, so it is
   * the global registry of account names: a name held by another resource id is refused,
   * atomically, with AccountNameTaken.
   */
  async configureAccount(configuration: StorageAccountConfiguration): Promise<Outcome<null, "AccountNameTaken">> {
    // Registered first: a reset reaches every account that may hold data.
    await emulatorState(this.env).register(ACCOUNT_KIND, configuration.name.toLowerCase());
    return accountObject(this.env, configuration.name).configure(configuration);
  }

  async removeAccount(name: string): Promise<void> {
    await accountObject(this.env, name).remove();
    await emulatorState(this.env).unregister(ACCOUNT_KIND, name.toLowerCase());
  }

  async putContainer(
    account: string,
    container: string,
    input: { publicAccess?: "None" | "Blob" | "Container"; metadata?: Record<string, string> },
  ): Promise<Outcome<{ created: boolean; container: BlobContainerView }, StorageRefusal>> {
    if (!isValidContainerName(container)) return refused("InvalidInput", { status: 400, message: `The container name '${container}' is invalid.` });
    if (input.publicAccess !== undefined && !["None", "Blob", "Container"].includes(input.publicAccess)) {
      return refused("InvalidInput", { status: 400, message: `The publicAccess '${String(input.publicAccess)}' is not one of None, Blob, Container.` });
    }
    const problem = input.metadata ? metadataProblem(input.metadata) : null;
    if (problem) return refused("InvalidInput", { status: 400, message: problem });
    const object = accountObject(this.env, account);
    if (!(await object.settings())) return refused("AccountNotFound", { status: 404, message: `The storage account '${account}' is not configured.` });
    const result = await object.putContainer(container, input);
    return accepted({ created: result.created, container: containerView(result.record) });
  }

  async readContainer(account: string, container: string): Promise<BlobContainerView | null> {
    const record = await accountObject(this.env, account).getContainer(container);
    return record ? containerView(record) : null;
  }

  async listContainers(account: string): Promise<BlobContainerView[]> {
    return (await accountObject(this.env, account).allContainers()).map(containerView);
  }

  async deleteContainer(account: string, container: string): Promise<boolean> {
    const outcome = await accountObject(this.env, account).deleteContainer(container);
    return outcome.ok;
  }

  // Operating the emulator (Resource Manager's control API, workers/arm/src/control/).

  async setClockOffset(offsetSeconds: number): Promise<void> {
    applyClockOffset(await emulatorState(this.env).setClockOffset(offsetSeconds));
  }

  /** Every account the data plane holds is dropped with its bytes (Resource Manager has deleted them; this catches any left over). */
  async resetState(): Promise<void> {
    for (const name of await emulatorState(this.env).registered(ACCOUNT_KIND)) await this.removeAccount(name);
  }
}
