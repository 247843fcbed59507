// One Durable Object per plain resource (resource groups, vaults, network resources, deployments),
// keyed by its lower-cased id: a document and nothing else.
import { DurableObject } from "cloudflare:workers";
import type { ArmEnv } from "../../env";
import type { ArmDocument } from "../../resource-types";

export type { ArmDocument };

export class ResourceObject extends DurableObject<ArmEnv> {
  async read(): Promise<ArmDocument | null> {
    return (await this.ctx.storage.get<ArmDocument>("doc")) ?? null;
  }

  async write(doc: ArmDocument): Promise<void> {
    await this.ctx.storage.put("doc", doc);
  }

  async erase(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
