// The edge rehearsal's process-wide setup (before the test forks exist): a local CA whose server
// certificate names *.{subdomain}.workers.dev, trusted through NODE_EXTRA_CA_CERTS, and the
// loopback resolver for those names preloaded into every Node process (the tests and the hosted
// code's child processes).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/stack.ts";
import { ensureTls } from "../../scripts/tls.ts";

export const EDGE_SUBDOMAIN = "mie-ci";
export const EDGE_TLS_DIR = join(ROOT, "test", ".tmp", "edge-tls");

export default async function setup(): Promise<void> {
  mkdirSync(EDGE_TLS_DIR, { recursive: true });
  const tls = await ensureTls(EDGE_TLS_DIR, "127.0.0.1", [`*.${EDGE_SUBDOMAIN}.workers.dev`]);
  process.env.NODE_EXTRA_CA_CERTS = tls.caCertificatePath;
  process.env.MIE_LOOPBACK_DNS_SUFFIX = `.${EDGE_SUBDOMAIN}.workers.dev`;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --require ${join(ROOT, "test", "support", "loopback-dns.cjs")}`.trim();
}
