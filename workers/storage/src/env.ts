import type { AuthorizationBinding } from "../../../shared/bindings/authorization";
import type { SigningKeysBinding } from "../../../shared/bindings/signing-keys";

export interface StorageEnv {
  /** One StorageAccountObject per storage account, keyed by the lower-case account name (names are global in Azure). */
  ACCOUNTS: DurableObjectNamespace;
  /** Operating state (shared/emulator-state.ts): the emulator clock's offset, the accounts in use. */
  EMULATOR: DurableObjectNamespace;
  /** Blob and block bytes (bucket mie-blobs), keyed {account}/… (account-object.ts says how). */
  BLOBS: R2Bucket;
  AAD: SigningKeysBinding;
  ARM: AuthorizationBinding;
  TENANT_ID: string;
  /** Public base URL of this worker, e.g. https://127.0.0.1:8448 (path-style accounts: {STORAGE_URL}/{account}/). */
  STORAGE_URL?: string;
  /** Accounts also answer at https://{account}.blob.{STORAGE_DNS_SUFFIX}[:port]/ (host style). */
  STORAGE_DNS_SUFFIX?: string;
  /** The authority named in the 401 challenge. */
  LOGIN_URL?: string;
  /** off | info | debug (knob MIE_LOG, shared/request-log.ts). */
  LOG?: string;
}
