import type { FlowEnv } from "../../../shared/flow";
import type { TokenEndpointBinding } from "../../../shared/bindings/token-endpoint";

export interface ImdsEnv extends FlowEnv {
  VM_HOSTS: DurableObjectNamespace;
  /** One SiteIdentityHost per App Service site, keyed by its identity endpoint key. */
  SITE_HOSTS: DurableObjectNamespace;
  /** Operating state (shared/emulator-state.ts): the clock's offset, injected faults, the VM hosts in use. */
  EMULATOR: DurableObjectNamespace;
  AAD: TokenEndpointBinding;
  /** Public base of the authority; the audience IMDS's client assertions name. */
  LOGIN_URL?: string;
  /** "on": answer 429 past Azure's per-VM limits (knob MIE_IMDS_THROTTLING). */
  IMDS_THROTTLING?: string;
  /** off | info | debug (knob MIE_LOG, shared/request-log.ts). */
  LOG?: string;
}
