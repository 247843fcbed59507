// Where virtual machines live: one VirtualMachineObject per VM, keyed by its lower-cased id.
import { stubOf } from "../../../../../shared/durable";
import { resourceKey } from "../../../../../shared/resource-id";
import type { ArmEnv } from "../../env";
import type { VirtualMachineObject } from "./virtual-machine-object";

export function virtualMachineObject(env: ArmEnv, id: string) {
  return stubOf<VirtualMachineObject>(env.VIRTUAL_MACHINES, resourceKey(id));
}
