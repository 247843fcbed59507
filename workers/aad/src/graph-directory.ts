// The directory operations Microsoft Graph serves (GraphDirectoryRpc), on the authority's side of
// the binding. Graph's entrypoint, GraphDirectory (index.ts), inherits them; Resource Manager's
// binding cannot reach them. Callers are trusted: the Graph worker authenticates and authorizes first.
//
// Every change to the indexes is one transaction in the tenant's object (directory-tables.ts);
// principals' own objects are written before they become reachable and erased after they stop
// being reachable, so a failure between the two steps leaves at most an invisible, unusable object.
import { WorkerEntrypoint } from "cloudflare:workers";
import { stubOf } from "../../../shared/durable";
import { base64UrlEncode, base64Decode } from "../../../shared/encoding";
import { isGuid } from "../../../shared/guid";
import type {
  ApplicationChange,
  ApplicationView,
  DirectoryOutcome,
  DirectoryRefusal,
  DirectoryServicePrincipal,
  GraphDirectoryRpc,
  NewPasswordCredential,
  PasswordCredentialInput,
  ServicePrincipalFilter,
  ServicePrincipalPage,
} from "../../../shared/rpc";
import { applicationView, type ApplicationRecord } from "./applications";
import { listingOf } from "./directory-tables";
import { directoryServicePrincipalView } from "./directory-views";
import type { AadEnv } from "./env";
import { prepareKeyCredentials, type PreparedKeyCredential } from "./key-credentials";
import { issuePasswordCredential } from "./password-credentials";
import { syncAadClock } from "./operating";
import { accepted, refused } from "../../../shared/outcome";
import type { ServicePrincipalObject, ServicePrincipalRecord } from "./service-principal";
import type { TenantAuthority } from "./tenant-authority";
import { knownTenant } from "./token-endpoint";

const refuse = (refusal: DirectoryRefusal, detail?: string) => refused(refusal, detail ? { detail } : {});
const done = <T>(value: T) => accepted(value);

export abstract class GraphDirectoryEntrypoint extends WorkerEntrypoint<AadEnv> implements GraphDirectoryRpc {
  private tenantAuthority(tenantId: string) {
    return stubOf<TenantAuthority>(this.env.TENANTS, knownTenant(this.env, tenantId));
  }

  private principalObject(objectId: string) {
    return stubOf<ServicePrincipalObject>(this.env.PRINCIPALS, objectId.toLowerCase());
  }

  /** The principal's record, if `objectId` names one of this tenant's principals. */
  private async principalRecord(tenantId: string, objectId: string): Promise<ServicePrincipalRecord | null> {
    if (!isGuid(objectId)) return null;
    const record = await this.principalObject(objectId).get();
    return record && record.tenantId === tenantId.toLowerCase() ? record : null;
  }

  async listServicePrincipals(
    tenantId: string,
    query: { filter?: ServicePrincipalFilter; top: number; skipToken?: string },
  ): Promise<ServicePrincipalPage> {
    const after = query.skipToken ? new TextDecoder().decode(base64Decode(query.skipToken)) : "";
    const ids = await this.tenantAuthority(tenantId).queryServicePrincipals(query.filter, query.top + 1, after);
    const page = ids.slice(0, query.top);
    const records = await Promise.all(page.map((id) => this.principalObject(id).get()));
    const value = await Promise.all(records.flatMap((r) => (r ? [directoryServicePrincipalView(r)] : [])));
    const last = page[page.length - 1];
    return ids.length > query.top && last ? { value, skipToken: base64UrlEncode(new TextEncoder().encode(last)) } : { value };
  }

  async readServicePrincipal(tenantId: string, objectId: string): Promise<DirectoryServicePrincipal | null> {
    const record = await this.principalRecord(tenantId, objectId);
    return record ? directoryServicePrincipalView(record) : null;
  }

  async readServicePrincipals(tenantId: string, objectIds: string[]): Promise<DirectoryServicePrincipal[]> {
    const wanted = [...new Set(objectIds.filter(isGuid).map((id) => id.toLowerCase()))];
    if (wanted.length === 0) return [];
    // The listing answers which ids are this tenant's principals in one call, so ids that name
    // nothing cost no visit to an object.
    const listed = new Set(await this.tenantAuthority(tenantId).listedServicePrincipals(wanted));
    const records = await Promise.all(wanted.filter((id) => listed.has(id)).map((id) => this.principalRecord(tenantId, id)));
    return Promise.all(records.flatMap((record) => (record ? [directoryServicePrincipalView(record)] : [])));
  }

  async createApplicationServicePrincipal(tenantId: string, appId: string): Promise<DirectoryOutcome<DirectoryServicePrincipal>> {
    const tenant = this.tenantAuthority(tenantId);
    const application = isGuid(appId) ? await tenant.applicationByAppId(appId) : null;
    if (!application) return refuse("noApplication", appId);
    const record: ServicePrincipalRecord = {
      id: crypto.randomUUID(),
      appId: application.appId,
      tenantId: application.tenantId,
      displayName: application.displayName,
      servicePrincipalType: "Application",
      alternativeNames: [],
      accountEnabled: true,
      createdDateTime: new Date().toISOString(),
      passwordCredentials: [],
      keyCredentials: [],
    };
    // Written first, reachable only once the claim below succeeds.
    const principal = this.principalObject(record.id);
    await principal.create(record);
    const claim = await tenant.claimForApplication(await listingOf(record));
    if (claim !== "claimed") {
      await principal.delete();
      return refuse(claim, application.appId);
    }
    return done(await directoryServicePrincipalView(record));
  }

  async removeServicePrincipal(tenantId: string, objectId: string): Promise<DirectoryOutcome<null>> {
    const record = await this.principalRecord(tenantId, objectId);
    if (!record) return refuse("notFound");
    if (record.servicePrincipalType === "ManagedIdentity") return refuse("managedIdentity");
    // Unreachable first (the token endpoint stops finding it), then erased.
    await this.tenantAuthority(tenantId).unlistServicePrincipal(record.id);
    await this.principalObject(record.id).delete();
    return done(null);
  }

  async addServicePrincipalPassword(
    tenantId: string,
    objectId: string,
    input: PasswordCredentialInput,
  ): Promise<DirectoryOutcome<NewPasswordCredential>> {
    const record = await this.principalRecord(tenantId, objectId);
    if (!record) return refuse("notFound");
    if (record.servicePrincipalType === "ManagedIdentity") return refuse("managedIdentity");
    await syncAadClock(this.env);
    const issued = await issuePasswordCredential(input);
    if (!issued.ok) return issued;
    const result = await this.principalObject(record.id).changePasswordCredentials({ add: issued.value.stored });
    return result === "changed" ? done(issued.value.shown) : refuse(result === "managedIdentity" ? "managedIdentity" : "notFound");
  }

  async removeServicePrincipalPassword(tenantId: string, objectId: string, keyId: string): Promise<DirectoryOutcome<null>> {
    const record = await this.principalRecord(tenantId, objectId);
    if (!record) return refuse("notFound");
    if (record.servicePrincipalType === "ManagedIdentity") return refuse("managedIdentity");
    const result = await this.principalObject(record.id).changePasswordCredentials({ removeKeyId: keyId });
    return result === "changed" ? done(null) : refuse(result);
  }

  async createApplication(tenantId: string, input: { displayName: string }): Promise<ApplicationView> {
    const record: ApplicationRecord = {
      id: crypto.randomUUID(),
      appId: crypto.randomUUID(),
      tenantId: knownTenant(this.env, tenantId),
      displayName: input.displayName,
      createdDateTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      passwordCredentials: [],
    };
    await this.tenantAuthority(tenantId).createApplication(record);
    return applicationView(record);
  }

  async readApplication(tenantId: string, objectId: string): Promise<ApplicationView | null> {
    if (!isGuid(objectId)) return null;
    const record = await this.tenantAuthority(tenantId).application(objectId);
    return record ? applicationView(record) : null;
  }

  async updateApplication(tenantId: string, objectId: string, change: ApplicationChange): Promise<DirectoryOutcome<null>> {
    if (!isGuid(objectId)) return refuse("notFound");
    let keyCredentials: PreparedKeyCredential[] | undefined;
    if (change.keyCredentials) {
      // Certificates are parsed here, before the write; the tenant's object then applies the
      // whole change at once, so the token endpoint sees the old certificates or the new ones.
      const prepared = await prepareKeyCredentials(change.keyCredentials);
      if (!prepared.ok) return prepared;
      keyCredentials = prepared.value;
    }
    return this.tenantAuthority(tenantId).changeApplication(objectId, {
      ...(change.displayName !== undefined ? { displayName: change.displayName } : {}),
      ...(keyCredentials ? { keyCredentials } : {}),
    });
  }

  async deleteApplication(tenantId: string, objectId: string): Promise<DirectoryOutcome<null>> {
    if (!isGuid(objectId)) return refuse("notFound");
    const removed = await this.tenantAuthority(tenantId).removeApplication(objectId);
    if (!removed) return refuse("notFound");
    // The claim is already gone, so no token is issued for the app from here on; erasing the
    // principal's object is clean-up, and a failure leaves only an unreachable object.
    if (removed.principalId) {
      await this.principalObject(removed.principalId)
        .delete()
        .catch((err: unknown) => console.error(`aad: erasing principal ${removed.principalId} of a deleted application failed`, err));
    }
    return done(null);
  }

  async addApplicationPassword(
    tenantId: string,
    objectId: string,
    input: PasswordCredentialInput,
  ): Promise<DirectoryOutcome<NewPasswordCredential>> {
    if (!isGuid(objectId)) return refuse("notFound");
    await syncAadClock(this.env);
    const issued = await issuePasswordCredential(input);
    if (!issued.ok) return issued;
    const added = await this.tenantAuthority(tenantId).addApplicationPassword(objectId, issued.value.stored);
    return added ? done(issued.value.shown) : refuse("notFound");
  }

  async removeApplicationPassword(tenantId: string, objectId: string, keyId: string): Promise<DirectoryOutcome<null>> {
    if (!isGuid(objectId)) return refuse("notFound");
    const result = await this.tenantAuthority(tenantId).removeApplicationPassword(objectId, keyId);
    return result === "removed" ? done(null) : refuse(result);
  }
}
