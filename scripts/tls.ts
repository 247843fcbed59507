// The local server's TLS: a certificate authority kept in the data folder (users trust it once,
// through NODE_EXTRA_CA_CERTS=<caCertificate>), and a server certificate for the bound host,
// issued anew at every start.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { webcrypto } from "node:crypto";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

export interface TlsMaterial {
  caCertificatePath: string;
  caCertificatePem: string;
  certificatePem: string;
  privateKeyPem: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64").match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function serial(): string {
  return "01" + Buffer.from(webcrypto.getRandomValues(new Uint8Array(15))).toString("hex");
}

async function createAuthority(dir: string): Promise<void> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=Managed Identity Emulator Local CA, O=managed-identity-emulator",
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 3650 * 86_400_000),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const key = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  writeFileSync(join(dir, "ca-key.pem"), pem("PRIVATE KEY", key), { mode: 0o600 });
  writeFileSync(join(dir, "ca.pem"), cert.toString("pem") + "\n");
}

/**
 * Loads (or creates once) the local CA in `dir`, and issues a server certificate for `host` and
 * any `extraNames` (DNS names, wildcards allowed: *.vault.localhost for host-named vaults).
 */
export async function ensureTls(dir: string, host: string, extraNames: string[] = []): Promise<TlsMaterial> {
  mkdirSync(dir, { recursive: true });
  const caPath = join(dir, "ca.pem");
  if (!existsSync(caPath) || !existsSync(join(dir, "ca-key.pem"))) await createAuthority(dir);
  const caPem = readFileSync(caPath, "utf8");
  const ca = new x509.X509Certificate(caPem);
  const caKeyDer = Buffer.from(
    readFileSync(join(dir, "ca-key.pem"), "utf8").replace(/-----[^-]+-----|\s/g, ""),
    "base64",
  );
  const caKey = await webcrypto.subtle.importKey("pkcs8", caKeyDer, ALGORITHM, false, ["sign"]);

  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const names = new Set(["localhost", "127.0.0.1", "::1", host, ...extraNames]);
  const altNames = [...names].map((n) => (isIP(n) ? { type: "ip" as const, value: n } : { type: "dns" as const, value: n }));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${host}`,
    issuer: ca.subject,
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 365 * 86_400_000),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(altNames),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  const key = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    caCertificatePath: caPath,
    caCertificatePem: caPem,
    certificatePem: cert.toString("pem") + "\n",
    privateKeyPem: pem("PRIVATE KEY", key),
  };
}
