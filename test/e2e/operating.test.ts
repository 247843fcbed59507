// Operating the emulator: what scripts and people rely on besides Azure's own APIs (contract:
// "Operating the emulator").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator } from "../support/emulator.ts";

const emulator = TestEmulator.shared();
beforeAll(() => emulator.start());
afterAll(() => emulator.dispose());

describe("health", () => {
  it("GET {service}/emulator/health answers 200 {status: ok} on every endpoint, without authentication", async () => {
    const e = emulator.endpoints;
    for (const base of [e.arm, e.login, e.graph, e.imds, e.keyVault!]) {
      const r = await fetch(`${base}/emulator/health`);
      expect(r.status, base).toBe(200);
      expect(await r.json()).toEqual({ status: "ok" });
      expect(r.headers.get("content-type")).toContain("application/json");
    }
  });

  it("a bearer token is not needed, and a bad one is ignored", async () => {
    const r = await fetch(`${emulator.endpoints.arm}/emulator/health`, { headers: { authorization: "Bearer nonsense" } });
    expect(r.status).toBe(200);
  });
});
