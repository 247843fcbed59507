/**
 * The base URL clients use to reach a worker. The local server terminates TLS in front of the
 * workers and passes each public URL in as a variable; deployed workers use their own origin.
 */
export function publicBase(configured: string | undefined, requestUrl: string): string {
  if (configured) return configured.replace(/\/+$/, "");
  return new URL(requestUrl).origin;
}
