// The Key Vault data plane of every vault, on one origin: a vault is addressed at
// {VAULT_URL}/vaults/{name}/ (shared/vault-uri.ts says why). Each request is checked in Key
// Vault's order: the vault exists, the bearer token is ours and for Key Vault (else 401 with the
// challenge the SDKs answer), the api-version is known, then the operation's data action is
// authorized by Resource Manager before the vault's object is touched.
// RPC (VaultAdminRpc): Resource Manager creates, updates and removes vaults.
import { WorkerEntrypoint } from "cloudflare:workers";
import { Hono } from "hono";
import { stubOf } from "../../../shared/durable";
import { KeyVaultError, KeyVaultErrors, keyVaultChallenge } from "../../../shared/errors/keyvault";
import type { Outcome } from "../../../shared/outcome";
import { publicBase } from "../../../shared/public-url";
import type { EmulatorControlRpc, VaultAdminRpc, VaultConfiguration } from "../../../shared/rpc";
import { VAULTS_SEGMENT, hostNamedVaultUri, keyVaultResource, vaultNameFromHost, vaultUri } from "../../../shared/vault-uri";
import { requireApiVersion } from "./api-versions";
import { authenticate } from "./authentication";
import type { KeyVaultEnv } from "./env";
import { handleSecrets } from "./secret-routes";
import { refuseOversizedBodies } from "./secret-input";
import type { VaultObject } from "./vault-object";
import { HEALTH_PATH, healthResponse } from "../../../shared/health";
import { applyClockOffset, syncClock } from "../../../shared/emulator-clock";
import { EMULATOR_STATE_NAME, type EmulatorState } from "../../../shared/emulator-state";
import { noteCaller, requestLog } from "../../../shared/request-log";

export { VaultObject } from "./vault-object";
export { EmulatorState } from "../../../shared/emulator-state";

/** Registry kind (EmulatorState) of the vaults the data plane holds, for POST {arm}/emulator/reset. */
const VAULT_KIND = "vault";

function emulatorState(env: KeyVaultEnv) {
  return stubOf<EmulatorState>(env.EMULATOR, EMULATOR_STATE_NAME);
}

/** What Key Vault reports as x-ms-keyvault-service-version; clients only log it. */
const SERVICE_VERSION = "1.9.0.0-mie";

function vaultObject(env: KeyVaultEnv, name: string) {
  return stubOf<VaultObject>(env.VAULTS, name.toLowerCase());
}

const app = new Hono<{ Bindings: KeyVaultEnv; Variables: { tenantId: string; location: string; challengeResource: string } }>();

app.onError((err, c) => {
  const error = err instanceof KeyVaultError ? err : null;
  if (!error) console.error("keyvault: unexpected error", err);
  const kvError = error ?? KeyVaultErrors.internal();
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (kvError.status === 401) {
    // Every 401 carries the challenge: it is how clients learn the authority and the resource.
    const authority = `${publicBase(c.env.LOGIN_URL, "https://login.microsoftonline.com/")}/${c.get("tenantId") ?? c.env.TENANT_ID}`;
    headers["WWW-Authenticate"] = keyVaultChallenge(authority, c.get("challengeResource"));
  }
  return new Response(c.req.method === "HEAD" ? null : JSON.stringify(kvError.body()), { status: kvError.status, headers });
});

app.use("*", requestLog("keyvault"));
app.use("*", async (c, next) => {
  await syncClock(() => emulatorState(c.env).clockOffset());
  await next();
});

app.use("*", async (c, next) => {
  const requestId = crypto.randomUUID();
  await next();
  c.res.headers.set("Cache-Control", "no-cache");
  c.res.headers.set("Pragma", "no-cache");
  c.res.headers.set("Expires", "-1");
  c.res.headers.set("x-ms-request-id", requestId);
  c.res.headers.set("x-ms-keyvault-service-version", SERVICE_VERSION);
  const location = c.get("location");
  if (location) c.res.headers.set("x-ms-keyvault-region", location);
  const clientRequestId = c.req.header("x-ms-client-request-id");
  if (clientRequestId) c.res.headers.set("x-ms-client-request-id", clientRequestId);
});

app.use("*", refuseOversizedBodies);

app.get(HEALTH_PATH, () => healthResponse());

app.all("*", async (c) => {
  const url = new URL(c.req.url);
  // Clients join paths onto vault URLs with or without a slash in between; "//" means nothing.
  const segments = url.pathname.replace(/\/{2,}/g, "/").split("/").slice(1).map(decodeSegment);
  const address = vaultAddress(c.env, url, segments, c.req.header("host") ?? url.host);
  if (address.challengeResource) c.set("challengeResource", address.challengeResource);
  const vault = vaultObject(c.env, address.name);
  const settings = await vault.settings();
  if (!settings) throw KeyVaultErrors.vaultNotFound(address.name);
  c.set("tenantId", settings.tenantId);
  c.set("location", settings.location);

  const caller = await authenticate(c.env, c.req.header("authorization"), settings.tenantId);
  noteCaller(c.req.raw, { objectId: caller.objectId, appId: caller.appId });
  const apiVersion = requireApiVersion(url.searchParams);
  const ownUri = address.vaultUri ?? vaultUri(publicBase(c.env.VAULT_URL, c.req.url), settings.name);
  return handleSecrets({
    raw: c.req.raw,
    env: c.env,
    method: c.req.method,
    segments: address.rest,
    query: url.searchParams,
    caller,
    apiVersion,
    // Ids are built on the base: the data plane's for a path-style vault, the vault's own host otherwise.
    view: { base: address.vaultUri ? address.vaultUri.replace(/\/$/, "") : publicBase(c.env.VAULT_URL, c.req.url), vault: settings },
    vaultUri: ownUri,
    vault,
  });
});

interface VaultAddress {
  name: string;
  /** The operation's path below the vault. */
  rest: string[];
  /** A host-named vault's own URL; path-style vaults are addressed below the data-plane base. */
  vaultUri?: string;
  /** What a 401 names as Key Vault's resource, when not https://vault.azure.net. */
  challengeResource?: string;
}

/** Which vault a request addresses: by host name ({name}.{suffix}) or by path (/vaults/{name}/…). */
function vaultAddress(env: KeyVaultEnv, url: URL, segments: string[], host: string): VaultAddress {
  const byHost = vaultNameFromHost(host, env.VAULT_DNS_SUFFIX);
  if (byHost) {
    return {
      name: byHost,
      rest: segments,
      vaultUri: hostNamedVaultUri(host, env.VAULT_URL),
      challengeResource: keyVaultResource(env.VAULT_DNS_SUFFIX!, env.VAULT_URL),
    };
  }
  if (segments[0]?.toLowerCase() !== VAULTS_SEGMENT || !segments[1]) throw KeyVaultErrors.notFound(url.pathname);
  return { name: segments[1], rest: segments.slice(2) };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export default { fetch: app.fetch } satisfies ExportedHandler<KeyVaultEnv>;

/** Resource Manager's view of the data plane (service binding entrypoint "VaultAdminService"). */
export class VaultAdminService extends WorkerEntrypoint<KeyVaultEnv> implements VaultAdminRpc, EmulatorControlRpc {
  /**
   * Creates or updates the vault's record. The vault's object is keyed by its name, so it is the
   * global registry of vault names: a name held by another resource id is refused, atomically,
   * with the refusal `VaultNameTaken` (Resource Manager answers 409 VaultAlreadyExists).
   */
  async configureVault(configuration: VaultConfiguration): Promise<Outcome<null, "VaultNameTaken">> {
    // Registered first: a reset reaches every vault that may hold secrets.
    await emulatorState(this.env).register(VAULT_KIND, configuration.name.toLowerCase());
    return vaultObject(this.env, configuration.name).configure(configuration);
  }

  async removeVault(name: string): Promise<void> {
    await vaultObject(this.env, name).remove();
    await emulatorState(this.env).unregister(VAULT_KIND, name.toLowerCase());
  }

  // Operating the emulator (Resource Manager's control API, workers/arm/src/control/).

  async setClockOffset(offsetSeconds: number): Promise<void> {
    applyClockOffset(await emulatorState(this.env).setClockOffset(offsetSeconds));
  }

  /** Every vault the data plane holds is dropped (Resource Manager has deleted them; this catches any left over). */
  async resetState(): Promise<void> {
    for (const name of await emulatorState(this.env).registered(VAULT_KIND)) await this.removeVault(name);
  }
}
