// One Durable Object per service principal, keyed by its object id. It holds the principal's
// credentials; nothing outside the authority ever reads a secret hash or a key credential.
import { DurableObject } from "cloudflare:workers";
import type { FederatedCredential, KeyCredentialInput, ServicePrincipalView } from "../../../shared/rpc";
import type { AadEnv } from "./env";

export interface PasswordCredential {
  keyId: string;
  displayName: string | null;
  hint: string;
  secretHash: string;
  startDateTime: string;
  endDateTime: string;
}

export interface KeyCredential extends KeyCredentialInput {
  keyId: string;
  type: "AsymmetricX509Cert";
  usage: "Verify";
  /**
   * Graph's displayName of the credential. Set on certificates uploaded through Graph (the
   * certificate's subject unless the request names one); absent on managed identities' own
   * certificates, which Graph shows by their subject.
   */
  displayName?: string | null;
}

export interface ServicePrincipalRecord extends ServicePrincipalView {
  tenantId: string;
  passwordCredentials: PasswordCredential[];
  keyCredentials: KeyCredential[];
  /** Trusted external issuers (workload identity federation); user-assigned identities only. */
  federatedIdentityCredentials?: FederatedCredential[];
}

const RECORD = "principal";

export class ServicePrincipalObject extends DurableObject<AadEnv> {
  async get(): Promise<ServicePrincipalRecord | null> {
    return (await this.ctx.storage.get<ServicePrincipalRecord>(RECORD)) ?? null;
  }

  /** Creates the principal, or returns it unchanged when the same object id is created again. */
  async create(record: ServicePrincipalRecord): Promise<{ record: ServicePrincipalRecord; created: boolean }> {
    const existing = await this.get();
    if (existing) return { record: existing, created: false };
    await this.ctx.storage.put(RECORD, record);
    return { record, created: true };
  }

  async replace(record: ServicePrincipalRecord): Promise<void> {
    await this.ctx.storage.put(RECORD, record);
  }

  /**
   * Adds or removes one secret of an application's principal (Graph's addPassword/removePassword)
   * in a single step, so concurrent changes do not lose each other. Managed identities take none.
   */
  async changePasswordCredentials(change: { add?: PasswordCredential; removeKeyId?: string }): Promise<"changed" | "notFound" | "managedIdentity" | "credentialNotFound"> {
    const record = await this.get();
    if (!record) return "notFound";
    if (record.servicePrincipalType === "ManagedIdentity") return "managedIdentity";
    let credentials = record.passwordCredentials;
    const removeKeyId = change.removeKeyId?.toLowerCase();
    if (removeKeyId) {
      credentials = credentials.filter((c) => c.keyId.toLowerCase() !== removeKeyId);
      if (credentials.length === record.passwordCredentials.length) return "credentialNotFound";
    }
    if (change.add) credentials = [...credentials, change.add];
    await this.ctx.storage.put(RECORD, { ...record, passwordCredentials: credentials });
    return "changed";
  }

  async delete(): Promise<ServicePrincipalRecord | null> {
    const existing = await this.get();
    await this.ctx.storage.deleteAll();
    return existing;
  }
}

export function viewOf(record: ServicePrincipalRecord): ServicePrincipalView {
  return {
    id: record.id,
    appId: record.appId,
    displayName: record.displayName,
    servicePrincipalType: record.servicePrincipalType,
    alternativeNames: record.alternativeNames,
    accountEnabled: record.accountEnabled,
    createdDateTime: record.createdDateTime,
  };
}
