// Typed access to Durable Objects by name. The runtime's generated RPC types turn any `unknown`
// in a method's signature into `never`; our objects exchange plain JSON-shaped data, so a
// promise-returning view of the class's own methods is the honest type.

type Methods<T> = {
  [K in keyof T as T[K] extends (...args: any[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

export type StubOf<T> = Omit<Methods<T>, "fetch" | "alarm" | "webSocketMessage" | "webSocketClose" | "webSocketError">;

export function stubOf<T>(namespace: DurableObjectNamespace, name: string): StubOf<T> {
  return namespace.get(namespace.idFromName(name)) as unknown as StubOf<T>;
}
