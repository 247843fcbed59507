// One Durable Object per App Service site (web app or function app), keyed by its lower-cased
// resource id: the site's document, its managed identities, app settings, full siteConfig and
// publishing credentials. The identity lifecycle is the managed-identity provider's
// IdentityHostObject, exactly as a VM's; what is the site's own: its document rules, the App
// Service identity endpoint (IMDS's configureSite/clearSite with the site's IDENTITY_HEADER), its
// global name (claimed before the site is committed, freed with it) and the Dynamic plan Azure
// creates for a consumption function app (noted before it is created, removed again if the site's
// create fails). Settings changes touch only this object's storage.
import { randomHex } from "../../../../../shared/encoding";
import { ArmErrors } from "../../../../../shared/errors/arm";
import { asResult, type OperationResult } from "../../operation";
import {
  IdentityHostObject,
  type DesiredHost,
  type HostRecovery,
  type HostState,
  type HostTraits,
} from "../managed-identity/identity-host-object";
import { deletePlan, planDocumentObject, storePlan, type PlanDocument } from "./server-farms";
import { claimSiteName, releaseSiteName } from "./site-names";
import { desiredSite, sparseSiteConfig, SITE_TYPE, WebErrors, type SiteDocument, type SiteExtra, type SiteWriteRequest } from "./sites";

export type PublishingKind = "ftp" | "scm";

export interface SiteState extends HostState<SiteDocument> {
  /** The secret App Service gives the site's code as IDENTITY_HEADER (and MSI_SECRET). */
  identityHeader: string;
  /** The site-level publishing password (publish profiles' userPWD). */
  publishingPassword: string;
  appSettings: Record<string, string>;
  /** The whole siteConfig (the site's own GET answers it sparse). */
  siteConfig: Record<string, unknown>;
  publishingPolicies: Record<PublishingKind, boolean>;
}

/** The site's part of a note: a name claimed and a Dynamic plan created by an operation that may not have committed. */
interface SiteRecovery extends HostRecovery {
  orphanNameClaims?: { name: string; siteId: string }[];
  orphanPlans?: string[];
}

export interface SiteDetails {
  doc: SiteDocument;
  appSettings: Record<string, string>;
  siteConfig: Record<string, unknown>;
  publishingPassword: string;
  publishingPolicies: Record<PublishingKind, boolean>;
  endpointKey: string;
  identityHeader: string;
}

export interface SiteSettingsChange {
  appSettings?: Record<string, string>;
  siteConfig?: Record<string, unknown>;
  publishingPolicy?: { kind: PublishingKind; allow: boolean };
}

export class SiteObject extends IdentityHostObject<SiteDocument, SiteState, SiteRecovery, SiteWriteRequest> {
  protected readonly traits: HostTraits = {
    type: SITE_TYPE,
    configureStep: "imds.configureSite",
    clearStep: "imds.clearSite",
    configuring: "configuring the site's identity endpoint",
    deleting: "deleting the site's identity",
  };

  protected desired(current: SiteState | null, request: SiteWriteRequest): DesiredHost<SiteDocument> {
    const desired = desiredSite(current ? { doc: current.doc, siteConfig: current.siteConfig } : null, request);
    return { ...desired, extra: { ...desired.extra, ...(request.createPlan ? { createPlan: request.createPlan } : {}) } };
  }

  protected certificateSubject(doc: SiteDocument): string {
    return doc.name;
  }

  protected nextState(base: HostState<SiteDocument>, current: SiteState | null, _request: SiteWriteRequest, desired: DesiredHost<SiteDocument>): SiteState {
    const extra = (desired.extra ?? {}) as SiteExtra;
    return {
      ...base,
      identityHeader: current?.identityHeader ?? randomHex(32),
      publishingPassword: current?.publishingPassword ?? publishingSecret(),
      appSettings: extra.appSettings ?? current?.appSettings ?? {},
      siteConfig: extra.siteConfig ?? current?.siteConfig ?? {},
      publishingPolicies: current?.publishingPolicies ?? { ftp: true, scm: true },
    };
  }

  protected configureEndpoint(state: SiteState): Promise<void> {
    return this.env.IMDS.configureSite(state.endpointKey, {
      siteResourceId: state.doc.id,
      identityHeader: state.identityHeader,
      identities: this.endpointIdentities(state),
    });
  }

  protected clearEndpoint(endpointKey: string): Promise<void> {
    return this.env.IMDS.clearSite(endpointKey);
  }

  protected cleanRecovery(): SiteRecovery {
    return { orphanPrincipals: [], imdsStale: false, orphanEndpointKeys: [], orphanNameClaims: [], orphanPlans: [] };
  }

  protected override extraPending(recovery: SiteRecovery): boolean {
    return (recovery.orphanNameClaims?.length ?? 0) > 0 || (recovery.orphanPlans?.length ?? 0) > 0;
  }

  /** A new site claims its global name; a consumption function app's Dynamic plan is created. Each noted first. */
  protected override async prepare(current: SiteState | null, doc: SiteDocument, recovery: SiteRecovery, desired: DesiredHost<SiteDocument>): Promise<void> {
    if (!current) {
      recovery.orphanNameClaims = [...(recovery.orphanNameClaims ?? []), { name: doc.name, siteId: doc.id }];
      await this.note(recovery);
      if (!(await claimSiteName(this.env, doc.name, doc.id))) throw WebErrors.siteNameTaken(doc.name);
    }
    const plan = desired.extra?.createPlan as PlanDocument | undefined;
    if (plan && !(await planDocumentObject(this.env, plan.id).read())) {
      recovery.orphanPlans = [...(recovery.orphanPlans ?? []), plan.id];
      await this.note(recovery);
      await storePlan(this.env, plan, String(plan.properties.resourceGroup));
    }
  }

  /** Azure frees the name with the site; so it is here. */
  protected override async releaseOnDelete(state: SiteState): Promise<void> {
    await releaseSiteName(this.env, state.doc.name, state.doc.id);
  }

  protected override async recoverExtra(recovery: SiteRecovery, current: SiteState | null): Promise<void> {
    if (!current) for (const claim of recovery.orphanNameClaims ?? []) await releaseSiteName(this.env, claim.name, claim.siteId);
    for (const planId of recovery.orphanPlans ?? []) {
      const onIt = current && String(current.doc.properties.serverFarmId).toLowerCase() === planId.toLowerCase();
      if (!onIt) await deletePlan(this.env, planId, current?.doc.id ?? undefined).catch(() => undefined);
    }
  }

  /** Everything the site's endpoints read (null for no site, or one being deleted). */
  async details(): Promise<SiteDetails | null> {
    const state = await this.state();
    if (!state || state.deleting) return null;
    return {
      doc: state.doc,
      appSettings: state.appSettings,
      siteConfig: state.siteConfig,
      publishingPassword: state.publishingPassword,
      publishingPolicies: state.publishingPolicies,
      endpointKey: state.endpointKey,
      identityHeader: state.identityHeader,
    };
  }

  /** App settings, siteConfig or a publishing policy changed (nothing outside this object is touched). */
  async updateSettings(change: SiteSettingsChange): Promise<OperationResult> {
    return this.queue.run(() =>
      asResult(async () => {
        await this.finishEarlierFailure();
        const state = await this.state();
        if (!state || state.deleting) throw ArmErrors.resourceNotFound(SITE_TYPE, "site", "resource group");
        const next: SiteState = { ...state };
        if (change.appSettings) next.appSettings = change.appSettings;
        if (change.siteConfig) {
          next.siteConfig = change.siteConfig;
          const properties: SiteDocument["properties"] = { ...state.doc.properties, siteConfig: sparseSiteConfig(change.siteConfig), lastModifiedTimeUtc: new Date().toISOString().replace("Z", "") };
          const siteProperties = properties.siteProperties as { properties?: { name: string; value: unknown }[] } | undefined;
          if (siteProperties?.properties) {
            properties.siteProperties = {
              ...siteProperties,
              properties: [
                { name: "LinuxFxVersion", value: String(change.siteConfig.linuxFxVersion ?? "") },
                { name: "WindowsFxVersion", value: change.siteConfig.windowsFxVersion ?? null },
              ],
            };
          }
          next.doc = { ...state.doc, properties };
        }
        if (change.publishingPolicy) next.publishingPolicies = { ...state.publishingPolicies, [change.publishingPolicy.kind]: change.publishingPolicy.allow };
        await this.ctx.storage.put("state", next);
        return { status: 200 };
      }),
    );
  }
}

/** 60 letters and digits, like App Service's generated publishing passwords. */
function publishingSecret(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...crypto.getRandomValues(new Uint8Array(60))].map((b) => alphabet[b % alphabet.length]).join("");
}
