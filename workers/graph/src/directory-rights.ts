// Who may change the directory. Azure grants this through directory roles and Graph application
// permissions (Application.ReadWrite.All and the like); the emulator has neither, so the seeded
// admin holds the rights and every other principal may only read.
import { GraphErrors } from "../../../shared/errors/graph";
import { adminObjectId } from "../../../shared/seed";
import type { Caller } from "./authentication";
import type { GraphEnv } from "./env";

export async function requireDirectoryWriter(env: GraphEnv, caller: Caller): Promise<void> {
  const admin = await adminObjectId(env.TENANT_ID.toLowerCase(), env.ADMIN_CLIENT_ID.toLowerCase());
  if (caller.objectId !== admin) throw GraphErrors.accessDenied();
}
