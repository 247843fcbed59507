// Resource Manager → Graph (entrypoint "GraphControlService"): the control API's clock and reset.
import type { EmulatorControlRpc } from "../rpc";

export type GraphControlBinding = EmulatorControlRpc;
