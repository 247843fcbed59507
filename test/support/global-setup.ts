// One local CA for every emulator the tests start, trusted by the test processes through
// NODE_EXTRA_CA_CERTS (Node reads it only at process start, so it is set before the forks exist).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/stack.ts";
import { ensureTls } from "../../scripts/tls.ts";

export const TEST_TLS_DIR = join(ROOT, "test", ".tmp", "tls");

export default async function setup(): Promise<void> {
  mkdirSync(TEST_TLS_DIR, { recursive: true });
  const tls = await ensureTls(TEST_TLS_DIR, "127.0.0.1");
  process.env.NODE_EXTRA_CA_CERTS = tls.caCertificatePath;
  process.env.MIE_TEST_TLS_DIR = TEST_TLS_DIR;
}
