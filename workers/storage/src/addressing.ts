// Which account, container and blob a request addresses. Two forms, as Azure and Azurite:
//   host style  https://{account}.blob.{STORAGE_DNS_SUFFIX}[:port]/{container}/{blob}
//   path style  {STORAGE_URL}/{account}/{container}/{blob}   (IP hosts: what the SDKs treat as
//               "IP endpoint style", see the reference §4.1; serve it at 127.0.0.1)
// Blob names keep their '/' (the SDKs leave it unescaped); each segment is percent-decoded.
// Shared Key signs `/{account}{path as sent}`, so the raw path is kept too. Pure.

export interface StorageAddress {
  /** Lower-case account name ("" when the path names none). */
  account: string;
  hostStyle: boolean;
  container: string | null;
  blob: string | null;
  /** The account's own base URL as the client addressed it (no trailing slash), for ServiceEndpoint. */
  accountBase: string;
}

/** The account named by a host {account}.blob.{suffix}[:port], or null. */
export function accountFromHost(host: string, suffix: string | undefined): string | null {
  if (!suffix) return null;
  const hostname = host.replace(/:\d+$/, "").toLowerCase();
  const tail = `.blob.${suffix.replace(/^\.+|\/+$/g, "").toLowerCase()}`;
  if (!hostname.endsWith(tail)) return null;
  const label = hostname.slice(0, -tail.length);
  return /^[a-z0-9]{1,63}$/.test(label) ? label : null;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function storageAddress(url: URL, host: string, suffix: string | undefined, storageUrl: string | undefined): StorageAddress {
  const byHost = accountFromHost(host, suffix);
  const raw = url.pathname.replace(/^\//, "");
  const segments = raw === "" ? [] : raw.split("/");
  let account: string;
  let accountBase: string;
  if (byHost) {
    account = byHost;
    accountBase = `${url.protocol}//${host.toLowerCase()}`;
  } else {
    account = decode(segments.shift() ?? "").toLowerCase();
    const base = (storageUrl ?? url.origin).replace(/\/+$/, "");
    accountBase = `${base}/${account}`;
  }
  const container = segments.length ? decode(segments[0]!) : "";
  // "/c/" and "/c" both address the container; anything after the first '/' is the blob name.
  const blob = segments.length > 1 ? segments.slice(1).map(decode).join("/") : "";
  return {
    account,
    hostStyle: byHost !== null,
    container: container === "" ? null : container,
    blob: blob === "" ? null : blob,
    accountBase,
  };
}
