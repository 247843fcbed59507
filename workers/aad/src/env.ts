import type { FlowEnv } from "../../../shared/flow";

export interface AadEnv extends FlowEnv {
  TENANTS: DurableObjectNamespace;
  PRINCIPALS: DurableObjectNamespace;
  /** Operating state (shared/emulator-state.ts): the emulator clock's offset. */
  EMULATOR: DurableObjectNamespace;
  TENANT_ID: string;
  ADMIN_CLIENT_ID: string;
  ADMIN_CLIENT_SECRET?: string;
  TOKEN_LIFETIME_SECONDS: string;
  /** Public base URL of this worker (set by the local server; derived from the request otherwise). */
  LOGIN_URL?: string;
  /**
   * Public base URLs of the emulator's Graph and Resource Manager (set by the local server):
   * resources the authority issues tokens for, beside Microsoft's (resources.ts).
   */
  GRAPH_URL?: string;
  ARM_URL?: string;
  /** The Key Vault data plane and its DNS suffix: https://{keyVaultDns} is a resource too. */
  VAULT_URL?: string;
  VAULT_DNS_SUFFIX?: string;
  /** off | info | debug (knob MIE_LOG, shared/request-log.ts). */
  LOG?: string;
}
