// Self-signed RSA certificates: the credential Resource Manager gives each managed identity
// (Azure provisions managed identities with certificates) and the x5c of the authority's
// signing keys. @peculiar/x509 needs reflect-metadata loaded before it.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { base64Decode, base64Encode, base64UrlEncode } from "./encoding";

x509.cryptoProvider.set(crypto);

const RSA_ALGORITHM = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

export interface CertificateCredential {
  /** DER of the certificate, base64 (the form of a JWKS x5c entry and of Graph keyCredentials). */
  certificate: string;
  /** PKCS#8 private key, base64. Only the holder of the credential (IMDS, the authority) keeps it. */
  privateKeyPkcs8: string;
  /** base64url SHA-1 of the certificate DER: the `x5t` header of assertions signed with it. */
  x5t: string;
  /** base64url SHA-256 of the certificate DER: the `x5t#S256` header. */
  x5tS256: string;
  notBefore: string;
  notAfter: string;
}

export async function thumbprints(der: ArrayBuffer | Uint8Array): Promise<{ x5t: string; x5tS256: string }> {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  const [sha1, sha256] = await Promise.all([
    crypto.subtle.digest("SHA-1", bytes),
    crypto.subtle.digest("SHA-256", bytes),
  ]);
  return { x5t: base64UrlEncode(sha1), x5tS256: base64UrlEncode(sha256) };
}

/** An RSA-2048 key pair as stored and carried between objects: PKCS#8 private and SPKI public, base64. */
export interface RsaKeyPairExport {
  privateKeyPkcs8: string;
  publicKeySpki: string;
}

/**
 * A fresh RSA-2048 key pair (RSASSA-PKCS1-v1_5, SHA-256), exported. This is the slow part of a
 * credential (tens of milliseconds, variable): Resource Manager keeps a pool of them generated in
 * the background (workers/arm/src/providers/managed-identity/credential-key-pool.ts).
 */
export async function generateRsaKeyPair(): Promise<RsaKeyPairExport> {
  const keys = (await crypto.subtle.generateKey(RSA_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const [pkcs8, spki] = await Promise.all([
    crypto.subtle.exportKey("pkcs8", keys.privateKey) as Promise<ArrayBuffer>,
    crypto.subtle.exportKey("spki", keys.publicKey) as Promise<ArrayBuffer>,
  ]);
  return { privateKeyPkcs8: base64Encode(pkcs8), publicKeySpki: base64Encode(spki) };
}

async function importKeyPair(pair: RsaKeyPairExport): Promise<CryptoKeyPair> {
  const [privateKey, publicKey] = await Promise.all([
    crypto.subtle.importKey("pkcs8", base64Decode(pair.privateKeyPkcs8), RSA_ALGORITHM, true, ["sign"]),
    crypto.subtle.importKey("spki", base64Decode(pair.publicKeySpki), RSA_ALGORITHM, true, ["verify"]),
  ]);
  return { privateKey, publicKey };
}

/**
 * A self-signed certificate (digitalSignature) for `commonName`, valid `validDays` from five
 * minutes ago, on the given key pair, or on a new one when none is given. The caller owns the
 * pair: one pair, one certificate (a pair must never serve two principals).
 */
export async function createSelfSignedCertificate(
  commonName: string,
  validDays: number,
  keyPair?: RsaKeyPairExport,
): Promise<CertificateCredential> {
  const pair = keyPair ?? (await generateRsaKeyPair());
  const keys = await importKeyPair(pair);
  const notBefore = new Date(Date.now() - 5 * 60_000);
  const notAfter = new Date(notBefore.getTime() + validDays * 86_400_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0"))
      .join("")
      .replace(/^[89a-f]/, "1"),
    name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, "_")}`,
    notBefore,
    notAfter,
    signingAlgorithm: RSA_ALGORITHM,
    keys,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return {
    certificate: base64Encode(cert.rawData),
    privateKeyPkcs8: pair.privateKeyPkcs8,
    ...(await thumbprints(cert.rawData)),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
  };
}

/** base64url SHA-256 of a certificate's public key (its SPKI DER): tells whether two certificates share a key. */
export async function certificatePublicKeySha256(certificateBase64: string): Promise<string> {
  const spki = new x509.X509Certificate(base64Decode(certificateBase64)).publicKey.rawData;
  return base64UrlEncode(await crypto.subtle.digest("SHA-256", spki));
}

export function certificatePem(certificateBase64: string): string {
  const lines = certificateBase64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

export function privateKeyPem(pkcs8Base64: string): string {
  const lines = pkcs8Base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}
