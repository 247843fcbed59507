// One Durable Object per plain resource (resource groups so far), keyed by its lower-cased id.
import { DurableObject } from "cloudflare:workers";
import type { ArmEnv } from "../../env";

export type ArmDocument = Record<string, unknown> & { id: string; name: string; type: string };

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
