// The one shape in which a refusal crosses a service binding or leaves a Durable Object: data,
// never a service's wire envelope (Error subclasses do not survive RPC, and a Key Vault error
// must not arrive at Resource Manager looking like one of Key Vault's answers). Each service
// turns a refusal into its own wire error at its own edge: ARM's `settle()`, Key Vault's
// `KeyVaultError.fromRefusal`, Graph's `unwrap`, Resource Manager's vault-name mapping.

/** Why something was refused. `code` is the reason; `status` and `message` what the edge needs to word it. */
export interface Refusal<Code extends string = string> {
  code: Code;
  message?: string;
  /** The HTTP status the refusal stands for, where the refusing side knows it. */
  status?: number;
  /** A fact the edge's wording needs (a name, an owner's id). */
  detail?: string;
}

export type Outcome<T, Code extends string = string> = { ok: true; value: T } | { ok: false; refusal: Refusal<Code> };

export function accepted<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function refused<Code extends string>(code: Code, extra: Omit<Refusal<Code>, "code"> = {}): { ok: false; refusal: Refusal<Code> } {
  return { ok: false, refusal: { code, ...extra } };
}
