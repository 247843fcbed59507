// What Resource Manager knows about one resource type: the record every provider folder exports
// for each of its types, and that the one registry (registry.ts) lists. The front's generic
// operations (resource-operations.ts) run every verb through it in the same order for every type
// — authorize, validate, resource group, then the type's own read/write/delete — so routes,
// the resource group cascade, `GET …/resources` and the deployments engine all behave alike.
import type { ArmPath } from "../../../shared/resource-id";
import type { ArmRequest } from "./arm-request";
import type { Caller } from "./authentication";
import type { ArmEnv } from "./env";

/** A resource document as Resource Manager answers it. */
export type ArmDocument = Record<string, unknown> & { id: string; name: string; type: string };

/** Where one resource sits: its id and the parts of it every operation needs. */
export interface ResourceAddress {
  /** Canonical id, in the casing the caller wrote (the stored group's casing once it is known). */
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  /** The resource's own name (the last segment). */
  name: string;
  /** For a child type, the parent resource's id. */
  parentId?: string;
}

export interface WriteInput extends ResourceAddress {
  mode: "put" | "patch";
  body: Record<string, unknown>;
  caller: Caller;
}

/**
 * Other resources a write refers to: the caller needs each link's `action` on its scope (a VM
 * needs assign/action on its identities and join/action on its NICs). A link with `exists` must
 * also exist ("or the linked scope(s) are invalid"); without it, a missing resource is left to the
 * type's write, which answers its own error (Network's InvalidResourceReference).
 */
export interface LinkedAccess {
  links: LinkedScope[];
}

export interface LinkedScope {
  scope: string;
  action: string;
  exists?: () => Promise<boolean>;
}

export interface ActionContext {
  req: ArmRequest;
  address: ResourceAddress;
}

export interface ResourceTypeRecord {
  /** Full type, e.g. Microsoft.Compute/virtualMachines or …/userAssignedIdentities/federatedIdentityCredentials. */
  type: string;
  apiVersions: readonly string[];
  actions: { read: string; write: string; delete: string };
  /** Azure's name rules for the type, checked before anything else on a write. */
  validateName?(name: string): void;
  /** Resources a write body links to (a VM naming user-assigned identities and NICs, a NIC its subnet). */
  links?(env: ArmEnv, body: Record<string, unknown>): LinkedAccess | null;
  read(env: ArmEnv, address: ResourceAddress): Promise<ArmDocument | null>;
  /** Creates or updates; throws ArmError. 201 when created. */
  write(env: ArmEnv, input: WriteInput): Promise<{ status: number; body: ArmDocument }>;
  /** Deletes; 200 when it existed, 204 when it did not. Throws ArmError. */
  delete(env: ArmEnv, address: ResourceAddress): Promise<{ status: number }>;
  /** Child types list through their parent instead of the subscription index. */
  listChildren?(env: ArmEnv, parent: ResourceAddress): Promise<ArmDocument[] | null>;
  /** PATCH is refused with 405 when false. */
  patchable?: boolean;
  /** Order in the resource group cascade: lower is deleted first (VMs let go of identities and NICs). */
  cascadeOrder: number;
  /** Handlers at {id}/{name} (POST actions such as listImdsEndpoint, GET read-outs such as instanceView); each checks its method and authorizes itself. */
  endpoints?: Record<string, (ctx: ActionContext) => Promise<Response>>;
  /** The type's own 404 where it is not ARM's ResourceNotFound (deployments: DeploymentNotFound). */
  notFound?(address: ResourceAddress): Error;
  /** Query options of a GET ($expand=instanceView). */
  view?(doc: ArmDocument, query: URLSearchParams): ArmDocument;
}

/** What a provider adds besides its types' CRUD: routes at other scopes (extension resources, read-outs, catalogs). */
export interface ProviderRoutes {
  namespace: string;
  /** The types these routes serve, for `GET …/providers` (registered types list themselves). */
  resourceTypes?: { type: string; apiVersions: readonly string[] }[];
  routes(req: ArmRequest): Promise<Response | null>;
}

/** The full type a provider path addresses (namespace plus its type segments). */
export function addressedType(path: ArmPath): string | null {
  return path.namespace ? [path.namespace, ...path.types].join("/") : null;
}
