// An auxiliary worker for the in-runtime projects (test/workers-imds/, test/workers-arm/): the
// bundle the local server runs, its own config's vars and Durable Objects, the admin's secret, the
// log off, and the service bindings the project wires (none by default).
import { DEFAULTS, bundleWorker, type WorkerConfig } from "../../scripts/stack.ts";

export async function auxiliaryWorker(
  worker: WorkerConfig,
  options: { vars?: Record<string, string>; serviceBindings?: Record<string, { name: string; entrypoint?: string }> } = {},
) {
  const sqlite = new Set((worker.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  return {
    name: worker.name,
    modules: true,
    scriptPath: await bundleWorker(worker),
    compatibilityDate: worker.compatibility_date,
    compatibilityFlags: worker.compatibility_flags,
    bindings: { ...(worker.vars ?? {}), ADMIN_CLIENT_SECRET: DEFAULTS.adminClientSecret, LOG: "off", ...options.vars },
    durableObjects: Object.fromEntries(
      (worker.durable_objects?.bindings ?? []).map((b) => [b.name, { className: b.class_name, useSQLite: sqlite.has(b.class_name) }]),
    ),
    serviceBindings: options.serviceBindings ?? {},
  };
}
