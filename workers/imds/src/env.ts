import type { DirectoryRpc } from "../../../shared/rpc";

export interface ImdsEnv {
  VM_HOSTS: DurableObjectNamespace;
  AAD: Fetcher & DirectoryRpc;
  /** Public base of the authority; the audience IMDS's client assertions name. */
  LOGIN_URL?: string;
}
