// How a vault is addressed on the emulator's Key Vault data plane: the one rule Resource Manager
// (properties.vaultUri) and the data plane (routing, secret ids, nextLinks) must agree on.
//
// Azure gives every vault its own host, https://{name}.vault.azure.net/, and every id below it
// is https://{name}.vault.azure.net/secrets/{name}/{version}. Locally there is one HTTPS port
// (MIE_VAULT_PORT) and no DNS we control, so:
//
// - A vault is its own *path* under the data-plane base: vaultUri = {VAULT_URL}/vaults/{name}/.
//   Every SDK joins its operation paths onto the vault URL, so requests arrive as
//   /vaults/{name}/secrets/... . Per-vault host names were ruled out: names such as
//   {name}.vault.localhost do not resolve in Node (getaddrinfo, ENOTFOUND) or in most containers
//   without editing /etc/hosts, which `npm start` must not require; one port per vault is not
//   possible behind one port, nor at the edge on one workers.dev origin.
//
// - Secret ids (id, recoveryId, SecretItem ids) are {VAULT_URL}/secrets/{name}[/{version}] and
//   {VAULT_URL}/deletedsecrets/{name}, without the /vaults/{name} prefix. The SDKs parse ids
//   strictly as {scheme}://{host}/{collection}/{name}[/{version}]: @azure/keyvault-common's
//   parseKeyVaultIdentifier requires exactly 3 or 4 path segments (and Python's
//   parse_key_vault_id 2 or 3), so a prefixed id makes every getSecret/setSecret of the unmodified
//   SecretClient throw "Bad number of segments". The price: the vaultUrl an SDK derives from an id
//   is the data-plane base, not the vault; use the vault's vaultUri to build clients.
//
// - nextLinks are full URLs the SDKs follow as given, so they keep the /vaults/{name} prefix.
//
// Clients of a path-style vault also need `disableChallengeResourceVerification: true` (JS, Go,
// .NET) or `verify_challenge_resource=False` (Python): the challenge names https://vault.azure.net,
// and the SDKs otherwise insist that the vault's host ends in .vault.azure.net.
//
// - Every vault *also* answers by host name, as in Azure: https://{name}.{VAULT_DNS_SUFFIX}[:port]/
//   with its paths at the root. That is what the Azure CLI builds from the cloud's
//   `suffixes.keyVaultDns` (`az keyvault secret set --vault-name`), and what ids read back from such
//   a vault name (https://{name}.{suffix}/secrets/{name}/{version}), so they round-trip through
//   every SDK's id parser. It needs one hosts-file line per vault (the README says which); the
//   server certificate carries the wildcard *.{suffix}. The challenge of a host-named vault names
//   this cloud's Key Vault resource, https://{keyVaultDns} (as a sovereign cloud's names
//   https://vault.azure.cn), so the SDKs' challenge-resource check passes without any flag.

/** The path segment below the data-plane base that vault names live under. */
import { suffixWithPort } from "./public-url";
export const VAULTS_SEGMENT = "vaults";

/** The vault's URL as Resource Manager answers it in properties.vaultUri (trailing slash, as Azure). */
export function vaultUri(dataPlaneBase: string, vaultName: string): string {
  return `${dataPlaneBase.replace(/\/+$/, "")}/${VAULTS_SEGMENT}/${vaultName.toLowerCase()}/`;
}

/** Azure's own vaultUri, answered when no local data plane is configured (like IMDS's 169.254.169.254). */
export function azureVaultUri(vaultName: string): string {
  return `https://${vaultName.toLowerCase()}.vault.azure.net/`;
}

/**
 * This cloud's Key Vault DNS suffix as clients join it to a vault name: the configured suffix
 * host plus the data plane's port unless it is the scheme's default, e.g. "vault.localhost:8447".
 * What the cloud metadata answers as suffixes.keyVaultDns.
 */
export function keyVaultDns(suffix: string, dataPlaneBase: string | undefined): string {
  return suffixWithPort(suffix, dataPlaneBase);
}

/** This cloud's Key Vault resource (token audience, challenge resource): https://{keyVaultDns}. */
export function keyVaultResource(suffix: string, dataPlaneBase: string | undefined): string {
  return `https://${keyVaultDns(suffix, dataPlaneBase)}`;
}

/**
 * The vault a request's host names ({name}.{suffix}, port ignored), or null for any other host.
 * Only a single DNS label is a vault name; the name rules themselves are Resource Manager's.
 */
export function vaultNameFromHost(host: string, suffix: string | undefined): string | null {
  if (!suffix) return null;
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  const tail = `.${suffix.replace(/^\.+|\/+$/g, "").toLowerCase()}`;
  if (!hostname.endsWith(tail)) return null;
  const label = hostname.slice(0, -tail.length);
  return /^[a-z0-9-]{1,63}$/.test(label) ? label : null;
}

/** A host-named vault's own URL (trailing slash): the scheme of the data plane, the request's host. */
export function hostNamedVaultUri(host: string, dataPlaneBase: string | undefined): string {
  const scheme = dataPlaneBase ? new URL(dataPlaneBase).protocol : "https:";
  return `${scheme}//${host.toLowerCase()}/`;
}
