// How Durable Objects of Resource Manager run operations that reach other workers: one at a
// time per object, answering ARM errors as plain data (Error subclasses do not survive RPC).
import { ArmError, type SerializedArmError } from "../../../shared/errors/arm";

export type OperationResult = { ok: true; status: number; body?: unknown } | { ok: false; error: SerializedArmError };

/** Runs operations strictly one after another, across awaits on other workers (input gates open there). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.tail.then(operation, operation);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export async function asResult(operation: () => Promise<{ status: number; body?: unknown }>): Promise<OperationResult> {
  try {
    return { ok: true, ...(await operation()) };
  } catch (err) {
    if (err instanceof ArmError) return { ok: false, error: err.toJSON() };
    throw err;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A Durable Object's outcome back in ARM's terms: its status and document, or its ARM error thrown. */
export function settle<T = unknown>(result: OperationResult): { status: number; body: T } {
  if (!result.ok) throw ArmError.from(result.error);
  return { status: result.status, body: result.body as T };
}
