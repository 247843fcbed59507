// What `npm run deploy` deploys where (scripts/deploy-plan.ts): the public URLs and host names of
// each addressing, the vars that wire every worker to the others, the routes of a custom domain,
// the knobs' checks, and an order in which every worker comes after the workers it binds to.
import { describe, expect, it } from "vitest";
import { DeployStopped, addressingFromEnv, addressingVars, deployPlan, routes } from "../../../scripts/deploy-plan.ts";
import { loadWorkerConfigs } from "../../../scripts/stack.ts";

const workers = loadWorkerConfigs();
const byFolder = (folder: string) => workers.find((w) => w.folder === folder)!;

describe("addressing", () => {
  it("workers.dev: every worker at https://{name}.{subdomain}.workers.dev, no host-name suffixes", () => {
    const vars = addressingVars({ kind: "workers.dev", subdomain: "acme" }, workers);
    expect(vars).toMatchObject({
      ARM_URL: "https://mie-arm.acme.workers.dev",
      LOGIN_URL: "https://mie-aad.acme.workers.dev",
      GRAPH_URL: "https://mie-graph.acme.workers.dev",
      IMDS_URL: "https://mie-imds.acme.workers.dev",
      VAULT_URL: "https://mie-keyvault.acme.workers.dev",
      STORAGE_URL: "https://mie-storage.acme.workers.dev",
      CONSOLE_URL: "https://mie-console.acme.workers.dev",
      VAULT_DNS_SUFFIX: "",
      STORAGE_DNS_SUFFIX: "",
    });
    expect(routes({ kind: "workers.dev", subdomain: "acme" }, byFolder("arm"))).toEqual({ workers_dev: true });
  });

  it("a custom domain: one host per service, wildcard routes for vault and blob host names in the zone", () => {
    const addressing = addressingFromEnv({ MIE_DEPLOY_DOMAIN: "MIE.Example.com." });
    expect(addressing).toEqual({ kind: "domain", domain: "mie.example.com", zone: "example.com" });
    expect(addressingVars(addressing, workers)).toMatchObject({
      ARM_URL: "https://arm.mie.example.com",
      LOGIN_URL: "https://login.mie.example.com",
      IMDS_URL: "https://imds.mie.example.com",
      VAULT_URL: "https://vault.mie.example.com",
      CONSOLE_URL: "https://console.mie.example.com",
      VAULT_DNS_SUFFIX: "vault.mie.example.com",
      STORAGE_DNS_SUFFIX: "mie.example.com",
    });
    expect(routes(addressing, byFolder("keyvault"))).toEqual({
      workers_dev: false,
      routes: [
        { pattern: "vault.mie.example.com", custom_domain: true },
        { pattern: "*.vault.mie.example.com/*", zone_name: "example.com" },
      ],
    });
    expect(routes(addressing, byFolder("storage")).routes).toContainEqual({ pattern: "*.blob.mie.example.com/*", zone_name: "example.com" });
    expect(routes(addressing, byFolder("aad"))).toEqual({ workers_dev: false, routes: [{ pattern: "login.mie.example.com", custom_domain: true }] });
  });

  it("refuses a domain that is not a host name, or outside its zone, and a bad subdomain", () => {
    expect(() => addressingFromEnv({ MIE_DEPLOY_DOMAIN: "not a domain" })).toThrow(DeployStopped);
    expect(() => addressingFromEnv({ MIE_DEPLOY_DOMAIN: "mie.example.com", MIE_DEPLOY_ZONE: "example.org" })).toThrow(/not in the zone/);
    expect(addressingFromEnv({ MIE_DEPLOY_DOMAIN: "mie.example.co.uk", MIE_DEPLOY_ZONE: "example.co.uk" })).toMatchObject({ zone: "example.co.uk" });
    expect(() => addressingFromEnv({ MIE_WORKERS_DEV_SUBDOMAIN: "a.b" })).toThrow(DeployStopped);
    expect(addressingFromEnv({})).toEqual({ kind: "workers.dev", subdomain: null });
  });
});

describe("the order", () => {
  it("deploys every worker after the workers it binds to, breaking cycles with a bootstrap step redeployed at the end", () => {
    const plan = deployPlan(workers);
    const deployed = new Set<string>();
    for (const step of plan) {
      const bound = (step.worker.services ?? []).map((s) => s.service).filter((name) => name !== step.worker.name && !step.withoutServices.includes(name));
      for (const name of bound) expect(deployed.has(name), `${step.worker.name} binds ${name} before it is deployed`).toBe(true);
      deployed.add(step.worker.name);
    }
    expect(new Set(plan.map((s) => s.worker.name))).toEqual(new Set(workers.map((w) => w.name)));
    // Each bootstrap step (bindings left out) is followed later by a full deploy of the same worker.
    for (const [i, step] of plan.entries()) {
      if (!step.withoutServices.length) continue;
      expect(step.configFile).toMatch(/wrangler\.bootstrap\.json$/);
      expect(plan.slice(i + 1).some((later) => later.worker.name === step.worker.name && later.withoutServices.length === 0)).toBe(true);
    }
  });
});
