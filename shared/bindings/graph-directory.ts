// Graph → authority (entrypoint "GraphDirectory"): the directory view (principals, applications,
// their secrets and certificates), the signing keys, and the emulator clock. Graph authenticates
// and authorizes its callers before it calls; the authority refuses changes to managed identities.
import type { GraphDirectoryRpc } from "../rpc";
import type { SigningKeysBinding } from "./signing-keys";

export interface GraphDirectoryBinding extends GraphDirectoryRpc, SigningKeysBinding {
  /** The emulator clock's offset in seconds (Graph keeps no state of its own). */
  clockOffset(): Promise<number>;
}
