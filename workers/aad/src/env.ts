
export interface AadEnv {
  TENANTS: DurableObjectNamespace;
  PRINCIPALS: DurableObjectNamespace;
  TENANT_ID: string;
  ADMIN_CLIENT_ID: string;
  ADMIN_CLIENT_SECRET?: string;
  TOKEN_LIFETIME_SECONDS: string;
  /** Public base URL of this worker (set by the local server; derived from the request otherwise). */
  LOGIN_URL?: string;
}
