// How Durable Objects of Resource Manager run operations that reach other workers: one at a
// time per object, answering with the shared Outcome (shared/outcome.ts): a refusal is data,
// turned back into ARM's error only at the edge (settle()).
import { ArmError } from "../../../shared/errors/arm";
import { accepted, refused, type Outcome } from "../../../shared/outcome";

export type OperationResult = Outcome<{ status: number; body?: unknown }>;

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
    return accepted(await operation());
  } catch (err) {
    if (err instanceof ArmError) return refused(err.code, { status: err.status, message: err.message });
    throw err;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A Durable Object's outcome back in ARM's terms, at the edge: its status and document, or ARM's error thrown. */
export function settle<T = unknown>(result: OperationResult): { status: number; body: T } {
  if (!result.ok) {
    const { status = 500, code, message = code } = result.refusal;
    throw new ArmError(status, code, message);
  }
  return { status: result.value.status, body: result.value.body as T };
}
