// One Durable Object per virtual machine, keyed by its lower-cased resource id: the VM's document
// and its managed identities, whose lifecycle (principals, attachments, write-ahead recovery, the
// endpoint configured before commit) is the managed-identity provider's IdentityHostObject. What
// is the VM's own: its document rules, its IMDS configuration (configureVm/clearVm, with the
// instance metadata), and its NICs.
//
// The NICs the VM names must exist; each records the VM (its `virtualMachine`) before the VM's
// state is committed, and is let go once the VM no longer names it or is deleted. A NIC attached
// by an operation that then failed is noted for recover() like an orphan principal.
import type { VmImdsConfiguration } from "../../../../../shared/rpc";
import {
  IdentityHostObject,
  type DesiredHost,
  type HostRecovery,
  type HostState,
  type HostTraits,
} from "../managed-identity/identity-host-object";
import { attachVirtualMachine, detachVirtualMachine } from "../network/network-interface-type";
import { sameId } from "../network/network-store";
import { desiredVm, instanceCompute, networkInterfaceIds, VM_TYPE, type VmDocument, type VmWriteRequest } from "./virtual-machines";

type VmState = HostState<VmDocument>;

/** The VM's part of a recovery note: NICs an operation attached before it failed (absent in notes written before NICs were tracked). */
interface VmRecovery extends HostRecovery {
  orphanNics?: { nicId: string; vmId: string }[];
}

export class VirtualMachineObject extends IdentityHostObject<VmDocument, VmState, VmRecovery, VmWriteRequest> {
  protected readonly traits: HostTraits = {
    type: VM_TYPE,
    configureStep: "imds.configureVm",
    clearStep: "imds.clearVm",
    configuring: "configuring the virtual machine's metadata service",
    deleting: "deleting the virtual machine's identity",
  };

  protected desired(current: VmState | null, request: VmWriteRequest): DesiredHost<VmDocument> {
    return desiredVm(current?.doc ?? null, request);
  }

  protected certificateSubject(doc: VmDocument): string {
    return doc.properties.vmId;
  }

  protected nextState(base: VmState): VmState {
    return base;
  }

  protected configureEndpoint(state: VmState): Promise<void> {
    return this.env.IMDS.configureVm(state.endpointKey, this.imdsConfiguration(state));
  }

  protected clearEndpoint(endpointKey: string): Promise<void> {
    return this.env.IMDS.clearVm(endpointKey);
  }

  protected cleanRecovery(): VmRecovery {
    return { orphanPrincipals: [], imdsStale: false, orphanEndpointKeys: [], orphanNics: [] };
  }

  protected override extraPending(recovery: VmRecovery): boolean {
    return (recovery.orphanNics?.length ?? 0) > 0;
  }

  /** NICs: each must exist and take the VM; one that is new to the VM is noted first, so a failure further on lets it go again. */
  protected override async prepare(current: VmState | null, doc: VmDocument, recovery: VmRecovery): Promise<void> {
    const nics = networkInterfaceIds(doc);
    const previousNics = current ? networkInterfaceIds(current.doc) : [];
    const newNics = nics.filter((nic) => !previousNics.some((p) => sameId(p, nic)));
    if (newNics.length) {
      recovery.orphanNics = [...(recovery.orphanNics ?? []), ...newNics.map((nicId) => ({ nicId, vmId: doc.id }))];
      await this.note(recovery);
    }
    for (const nic of nics) await attachVirtualMachine(this.env, nic, doc.id, doc.location);
  }

  protected override async afterCommit(current: VmState | null, next: VmState): Promise<void> {
    const nics = networkInterfaceIds(next.doc);
    const previousNics = current ? networkInterfaceIds(current.doc) : [];
    await this.detachNics(previousNics.filter((nic) => !nics.some((n) => sameId(n, nic))), next.doc.id);
  }

  /** Deleting a VM never deletes its NICs (deleteOption Delete is not emulated): they are free for another VM or a delete. */
  protected override async releaseOnDelete(state: VmState): Promise<void> {
    await this.detachNics(networkInterfaceIds(state.doc), state.doc.id);
  }

  protected override async recoverExtra(recovery: VmRecovery, current: VmState | null): Promise<void> {
    const named = current ? networkInterfaceIds(current.doc) : [];
    for (const orphan of recovery.orphanNics ?? []) {
      if (!named.some((nic) => sameId(nic, orphan.nicId))) await detachVirtualMachine(this.env, orphan.nicId, orphan.vmId);
    }
  }

  /** Best effort: a NIC left naming this VM is still free, since a NIC is in use only while the VM names it. */
  private async detachNics(nicIds: string[], vmId: string): Promise<void> {
    await Promise.all(nicIds.map((nic) => detachVirtualMachine(this.env, nic, vmId).catch(() => undefined)));
  }

  private imdsConfiguration(state: VmState): VmImdsConfiguration {
    return {
      vmResourceId: state.doc.id,
      compute: instanceCompute(state.doc, state.subscriptionId, state.resourceGroup),
      identities: this.endpointIdentities(state),
    };
  }
}
