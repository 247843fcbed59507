// One Durable Object per tenant, keyed by tenant id. It owns the tenant's token-signing key
// (generated once, kept forever, so tokens issued before a restart still verify: the openauth
// pattern of persisted keys with the JWKS derived from them) and the appId → objectId index
// the token endpoint resolves clients through. It also seeds the tenant's admin principal, and
// holds the directory's other indexes and the applications table (directory-tables.ts).
import { DurableObject } from "cloudflare:workers";
import { createSelfSignedCertificate } from "../../../shared/certificates";
import { sha256Hex } from "../../../shared/encoding";
import type { DirectoryOutcome, PublicJwk, ServicePrincipalFilter } from "../../../shared/rpc";
import { adminObjectId } from "../../../shared/seed";
import type { AadEnv } from "./env";
import type { ServicePrincipalRecord } from "./service-principal";
import { stubOf } from "../../../shared/durable";
import type { KeyCredential, PasswordCredential, ServicePrincipalObject } from "./service-principal";
import type { ApplicationRecord } from "./applications";
import { resolveKeyCredentials, type PreparedKeyCredential } from "./key-credentials";
import { DirectoryTables, appKey, listingOf, type PrincipalListing } from "./directory-tables";
import { refused } from "../../../shared/outcome";

export interface SigningKey {
  kid: string;
  x5t: string;
  privateKeyPkcs8: string;
  certificate: string;
  n: string;
  e: string;
  created: string;
}

export class TenantAuthority extends DurableObject<AadEnv> {
  private keys: SigningKey[] = [];
  private readonly directory = new DirectoryTables(this.ctx.storage);

  constructor(ctx: DurableObjectState, env: AadEnv) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.keys = (await ctx.storage.get<SigningKey[]>("signingKeys")) ?? [];
      if (this.keys.length === 0) {
        this.keys = [await generateSigningKey()];
        await ctx.storage.put("signingKeys", this.keys);
      }
      await this.seedAdmin();
      await this.completeListing();
    });
  }

  async signingKey(): Promise<SigningKey> {
    return this.keys[this.keys.length - 1]!;
  }

  async publicKeys(): Promise<PublicJwk[]> {
    return this.keys.map((k) => ({
      kty: "RSA",
      use: "sig",
      kid: k.kid,
      x5t: k.x5t,
      n: k.n,
      e: k.e,
      x5c: [k.certificate],
    }));
  }

  async lookupApp(appId: string): Promise<string | null> {
    return (await this.ctx.storage.get<string>(appKey(appId))) ?? null;
  }

  /** Claims an appId for a principal. False when another principal already holds it. */
  async registerApp(appId: string, objectId: string): Promise<boolean> {
    const holder = await this.lookupApp(appId);
    if (holder && holder !== objectId) return false;
    await this.ctx.storage.put(appKey(appId), objectId);
    return true;
  }

  async unregisterApp(appId: string, objectId: string): Promise<void> {
    const holder = await this.lookupApp(appId);
    if (holder === objectId) await this.ctx.storage.delete(appKey(appId));
  }

  /**
   * The seeded admin: an application principal with the well-known development secret. The
   * secret is re-read from the environment on every start so rotating it needs only a restart.
   */
  private async seedAdmin(): Promise<void> {
    const tenantId = this.env.TENANT_ID.toLowerCase();
    const appId = this.env.ADMIN_CLIENT_ID.toLowerCase();
    const objectId = await adminObjectId(tenantId, appId);
    const secret = this.env.ADMIN_CLIENT_SECRET;
    const principal = stubOf<ServicePrincipalObject>(this.env.PRINCIPALS, objectId);
    const existing = await principal.get();
    const secretHash = secret ? await sha256Hex(secret) : null;
    const now = new Date().toISOString();
    const passwordCredentials = secretHash
      ? [
          {
            keyId: await adminObjectId(tenantId, `${appId}/secret`),
            displayName: "well-known development secret",
            hint: secret!.slice(0, 3),
            secretHash,
            startDateTime: existing?.createdDateTime ?? now,
            endDateTime: "2299-12-31T00:00:00Z",
          },
        ]
      : [];
    if (!existing || existing.passwordCredentials[0]?.secretHash !== secretHash) {
      const record: ServicePrincipalRecord = {
        id: objectId,
        appId,
        tenantId,
        displayName: "mie-admin",
        servicePrincipalType: "Application",
        alternativeNames: [],
        accountEnabled: true,
        createdDateTime: existing?.createdDateTime ?? now,
        passwordCredentials,
        keyCredentials: existing?.keyCredentials ?? [],
      };
      await principal.replace(record);
    }
    await this.ctx.storage.put(appKey(appId), objectId);
    const admin = await principal.get();
    if (admin) this.directory.listPrincipal(await listingOf(admin));
  }

  /**
   * State of an earlier version: principals claimed before the listing existed, or listed before
   * it held their names, are listed (again) once, from their own records.
   */
  private async completeListing(): Promise<void> {
    if (this.directory.listingCurrent) return;
    for (const { objectId } of this.directory.claims()) {
      const record = await stubOf<ServicePrincipalObject>(this.env.PRINCIPALS, objectId).get();
      if (record) this.directory.listPrincipal(await listingOf(record));
    }
    this.directory.markListingCurrent();
  }

  // The directory as Graph serves it: thin calls into directory-tables.ts, each one transaction.

  listServicePrincipal(entry: PrincipalListing): void {
    this.directory.listPrincipal(entry);
  }

  unlistServicePrincipal(objectId: string): void {
    this.directory.unlistPrincipal(objectId);
  }

  claimForApplication(entry: PrincipalListing): "claimed" | "noApplication" | "principalExists" {
    return this.directory.claimForApplication(entry);
  }

  queryServicePrincipals(filter: ServicePrincipalFilter | undefined, limit: number, after?: string): string[] {
    return this.directory.queryPrincipals(filter, limit, after);
  }

  /** The tenant's principals among these object ids (lower-cased). */
  listedServicePrincipals(objectIds: string[]): string[] {
    return this.directory.listedAmong(objectIds);
  }

  createApplication(record: ApplicationRecord): void {
    this.directory.insertApplication(record);
  }

  application(id: string): ApplicationRecord | null {
    return this.directory.application(id);
  }

  applicationByAppId(appId: string): ApplicationRecord | null {
    return this.directory.applicationByAppId(appId);
  }

  /** The secrets of the application with this appId (none when there is no application). */
  applicationPasswordCredentials(appId: string): PasswordCredential[] {
    return this.directory.applicationByAppId(appId)?.passwordCredentials ?? [];
  }

  /** The certificates of the application with this appId (none when there is no application). */
  applicationKeyCredentials(appId: string): KeyCredential[] {
    return this.directory.applicationByAppId(appId)?.keyCredentials ?? [];
  }

  /**
   * Graph's PATCH of an application, in one transaction: the new display name and the new
   * keyCredentials (kept entries resolved against the credentials the application has now).
   */
  changeApplication(id: string, change: { displayName?: string; keyCredentials?: PreparedKeyCredential[] }): DirectoryOutcome<null> {
    let refusal = null as DirectoryOutcome<null> | null;
    const updated = this.directory.updateApplication(id, (app) => {
      let keyCredentials = app.keyCredentials ?? [];
      if (change.keyCredentials) {
        const resolved = resolveKeyCredentials(change.keyCredentials, keyCredentials);
        if (!resolved.ok) {
          refusal = resolved;
          return app;
        }
        keyCredentials = resolved.value;
      }
      return { ...app, displayName: change.displayName ?? app.displayName, keyCredentials };
    });
    if (!updated) return refused("notFound");
    return refusal ?? { ok: true, value: null };
  }

  addApplicationPassword(id: string, credential: PasswordCredential): boolean {
    return this.directory.updateApplication(id, (app) => ({ ...app, passwordCredentials: [...app.passwordCredentials, credential] })) !== null;
  }

  removeApplicationPassword(id: string, keyId: string): "removed" | "notFound" | "credentialNotFound" {
    let found = false;
    const updated = this.directory.updateApplication(id, (app) => {
      const kept = app.passwordCredentials.filter((c) => c.keyId.toLowerCase() !== keyId.toLowerCase());
      found = kept.length < app.passwordCredentials.length;
      return { ...app, passwordCredentials: kept };
    });
    if (!updated) return "notFound";
    return found ? "removed" : "credentialNotFound";
  }

  removeApplication(id: string): { appId: string; principalId: string | null } | null {
    return this.directory.removeApplication(id);
  }

  /** POST {arm}/emulator/reset: the directory as seeded (see DirectoryTables.resetExcept); keys stay. */
  async resetDirectory(): Promise<string[]> {
    return this.directory.resetExcept(await adminObjectId(this.env.TENANT_ID.toLowerCase(), this.env.ADMIN_CLIENT_ID.toLowerCase()));
  }
}

async function generateSigningKey(): Promise<SigningKey> {
  const credential = await createSelfSignedCertificate("accounts.emulator.local", 3650);
  const der = Uint8Array.from(atob(credential.privateKeyPkcs8), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]);
  const jwk = (await crypto.subtle.exportKey("jwk", key)) as JsonWebKey;
  return {
    // Azure uses the certificate's SHA-1 thumbprint as both kid and x5t of v1 tokens.
    kid: credential.x5t,
    x5t: credential.x5t,
    privateKeyPkcs8: credential.privateKeyPkcs8,
    certificate: credential.certificate,
    n: jwk.n!,
    e: jwk.e!,
    created: new Date().toISOString(),
  };
}
