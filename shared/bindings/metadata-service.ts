// Resource Manager → IMDS (entrypoint "MetadataService"): each VM's identities and metadata, and
// the control API's clock, reset and faults.
import type { ImdsControlRpc, ImdsRpc } from "../rpc";

export type MetadataServiceBinding = ImdsRpc & ImdsControlRpc;
