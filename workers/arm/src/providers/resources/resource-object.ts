// One Durable Object per plain resource (resource groups, vaults, network resources, deployments),
// keyed by its lower-cased id: a document and nothing else. Every write gives the document a new
// version, so documents that other resources update (a subnet a NIC joins, a public IP it claims)
// change through writeIfVersion: a read-modify-write that never loses a concurrent update.
import { DurableObject } from "cloudflare:workers";
import type { ArmEnv } from "../../env";
import type { ArmDocument } from "../../resource-types";

export type { ArmDocument };

export class ResourceObject extends DurableObject<ArmEnv> {
  async read(): Promise<ArmDocument | null> {
    return (await this.ctx.storage.get<ArmDocument>("doc")) ?? null;
  }

  async write(doc: ArmDocument): Promise<void> {
    await this.ctx.storage.put({ doc, version: crypto.randomUUID() });
  }

  async erase(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  /** The document and its version (null when there is none). */
  async readVersioned(): Promise<{ doc: ArmDocument | null; version: string | null }> {
    const stored = await this.ctx.storage.get<unknown>(["doc", "version"]);
    const doc = (stored.get("doc") as ArmDocument | undefined) ?? null;
    return { doc, version: doc ? ((stored.get("version") as string | undefined) ?? "") : null };
  }

  /** Writes `doc` (null: erases) only if the version is still `version`; false when another write came first. */
  async writeIfVersion(version: string | null, doc: ArmDocument | null): Promise<boolean> {
    const current = await this.readVersioned();
    if (current.version !== version) return false;
    if (doc) await this.ctx.storage.put({ doc, version: crypto.randomUUID() });
    else await this.ctx.storage.deleteAll();
    return true;
  }
}
