import type { AuthorizationBinding } from "../../../shared/bindings/authorization";
import type { SigningKeysBinding } from "../../../shared/bindings/signing-keys";

export interface KeyVaultEnv {
  /** One VaultObject per vault, keyed by the lower-cased vault name (names are global in Azure). */
  VAULTS: DurableObjectNamespace;
  /** Operating state (shared/emulator-state.ts): the emulator clock's offset, the vaults in use. */
  EMULATOR: DurableObjectNamespace;
  AAD: SigningKeysBinding;
  ARM: AuthorizationBinding;
  TENANT_ID: string;
  /** Public base URL of this worker (set by the local server; derived from the request otherwise). */
  VAULT_URL?: string;
  /** Vaults also answer at https://{name}.{VAULT_DNS_SUFFIX}[:port] (shared/vault-uri.ts). */
  VAULT_DNS_SUFFIX?: string;
  /** The authority named in the 401 challenge. */
  LOGIN_URL?: string;
  /** off | info | debug (knob MIE_LOG, shared/request-log.ts). */
  LOG?: string;
}
