export interface ConsoleEnv {
  FLOW: DurableObjectNamespace;
  /** The authority's public HTTP (token endpoint, JWKS). */
  LOGIN: Fetcher;
  /** Resource Manager's public HTTP: resources, role assignments, the control API. */
  ARM: Fetcher;
  /** Microsoft Graph's public HTTP: the directory. */
  GRAPH: Fetcher;
  /** The identity endpoints' public HTTP (a VM's IMDS base, a site's endpoint). */
  IMDS: Fetcher;
  TENANT_ID: string;
  SUBSCRIPTION_ID: string;
  ADMIN_CLIENT_ID: string;
  /** The admin's secret: the console's sign-in, and how it gets the admin's tokens. */
  ADMIN_CLIENT_SECRET?: string;
  ARM_URL?: string;
  LOGIN_URL?: string;
  GRAPH_URL?: string;
  IMDS_URL?: string;
  /** This console's public URL: https at the edge (its session cookie is then Secure). */
  CONSOLE_URL?: string;
  /** off | info | debug (knob MIE_LOG, shared/request-log.ts). */
  LOG?: string;
}
