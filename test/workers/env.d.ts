// The bindings the in-runtime tests see: the authority worker's own environment.
import type { AadEnv } from "../../workers/aad/src/env";

declare global {
  namespace Cloudflare {
    interface Env extends AadEnv {}
  }
}
