// The one place tokens are signed. Claims follow Azure AD v1 app tokens (what Azure issues for
// first-party resources such as Resource Manager and Key Vault, whichever endpoint was used).
import { SignJWT, importPKCS8 } from "jose";
import { privateKeyPem } from "../../../shared/certificates";
import { base64UrlEncode } from "../../../shared/encoding";
import { emulatorNowSeconds } from "../../../shared/emulator-clock";
import { v1Issuer } from "./discovery";
import type { SigningKey } from "./tenant-authority";

const importedKeys = new Map<string, CryptoKey>();

async function signingCryptoKey(key: SigningKey): Promise<CryptoKey> {
  let imported = importedKeys.get(key.kid);
  if (!imported) {
    imported = await importPKCS8(privateKeyPem(key.privateKeyPkcs8), "RS256");
    importedKeys.set(key.kid, imported);
  }
  return imported;
}

export interface AccessTokenRequest {
  tenantId: string;
  audience: string;
  objectId: string;
  appId: string;
  /** "1": client secret, "2": certificate or assertion. */
  appidacr: "1" | "2";
  lifetimeSeconds: number;
  /** xms_mirid / xms_az_rid for managed identities. */
  extraClaims: Record<string, string>;
}

export interface IssuedToken {
  accessToken: string;
  issuedAt: number;
  notBefore: number;
  expiresOn: number;
}

export async function mintAccessToken(key: SigningKey, request: AccessTokenRequest): Promise<IssuedToken> {
  const now = emulatorNowSeconds();
  const expiresOn = now + request.lifetimeSeconds;
  const issuer = v1Issuer(request.tenantId);
  const accessToken = await new SignJWT({
    aud: request.audience,
    iss: issuer,
    iat: now,
    nbf: now,
    exp: expiresOn,
    aio: opaque(),
    appid: request.appId,
    appidacr: request.appidacr,
    idp: issuer,
    idtyp: "app",
    oid: request.objectId,
    rh: `0.${opaque()}.`,
    sub: request.objectId,
    tid: request.tenantId,
    uti: opaque().slice(0, 22),
    ver: "1.0",
    ...request.extraClaims,
  })
    .setProtectedHeader({ typ: "JWT", alg: "RS256", x5t: key.x5t, kid: key.kid })
    .sign(await signingCryptoKey(key));
  return { accessToken, issuedAt: now, notBefore: now, expiresOn };
}

function opaque(): string {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(24)));
}
