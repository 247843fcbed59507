/**
 * The base URL clients use to reach a worker. The local server terminates TLS in front of the
 * workers and passes each public URL in as a variable; deployed workers use their own origin.
 */
export function publicBase(configured: string | undefined, requestUrl: string): string {
  if (configured) return configured.replace(/\/+$/, "");
  return new URL(requestUrl).origin;
}

/**
 * A DNS suffix as clients join it to a name (a vault, `{account}.blob.`): the configured suffix
 * plus the data plane's port unless it is the scheme's default, e.g. "vault.localhost:8447" or
 * "localhost:8448". What the cloud metadata answers as suffixes.keyVaultDns and suffixes.storage.
 */
export function suffixWithPort(suffix: string, dataPlaneBase: string | undefined): string {
  const host = suffix.replace(/^\.+|\/+$/g, "").toLowerCase();
  if (!dataPlaneBase) return host;
  const port = new URL(dataPlaneBase).port;
  return port ? `${host}:${port}` : host;
}
