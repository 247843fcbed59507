import type { GraphDirectoryBinding } from "../../../shared/bindings/graph-directory";

export interface GraphEnv {
  AAD: GraphDirectoryBinding;
  TENANT_ID: string;
  /** The seeded admin: the one principal with directory write rights. */
  ADMIN_CLIENT_ID: string;
  /** Public base URL of this worker, for @odata.context and nextLink (set by the local server). */
  GRAPH_URL?: string;
  /** Public base URL of the authority, for the 401 challenge. */
  LOGIN_URL?: string;
  /** off | info | debug (knob MIE_LOG, shared/request-log.ts). */
  LOG?: string;
}
