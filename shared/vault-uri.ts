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
// Clients also need `disableChallengeResourceVerification: true` (JS, Go, .NET) or
// `verify_challenge_resource=False` (Python): the challenge names https://vault.azure.net, and
// the SDKs otherwise insist that the vault's host ends in .vault.azure.net.

/** The path segment below the data-plane base that vault names live under. */
export const VAULTS_SEGMENT = "vaults";

/** The vault's URL as Resource Manager answers it in properties.vaultUri (trailing slash, as Azure). */
export function vaultUri(dataPlaneBase: string, vaultName: string): string {
  return `${dataPlaneBase.replace(/\/+$/, "")}/${VAULTS_SEGMENT}/${vaultName.toLowerCase()}/`;
}

/** Azure's own vaultUri, answered when no local data plane is configured (like IMDS's 169.254.169.254). */
export function azureVaultUri(vaultName: string): string {
  return `https://${vaultName.toLowerCase()}.vault.azure.net/`;
}
