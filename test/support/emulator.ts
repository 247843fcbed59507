// Starts a whole emulator for one test file and gives the tests the plain-HTTP tools they need.
import { ClientSecretCredential } from "@azure/identity";
import { inject } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULTS,
  isAddressInUse,
  pickFreePorts,
  startStack,
  type Endpoints,
  type RunningStack,
  type StackOptions,
} from "../../scripts/stack.ts";

export const ARM_API = "2024-11-01";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's shared emulator (test/support/shared-stack.ts). */
    sharedEndpoints: Endpoints;
  }
}

export interface GraphAnswer {
  status: number;
  body: any;
  headers: Headers;
  text: string;
}

export class TestEmulator {
  endpoints!: Endpoints;
  private stack: RunningStack | null = null;
  private adminTokenCache: { token: string; until: number } | null = null;
  readonly dataDir: string;
  private options!: StackOptions;

  private readonly overrides: Partial<StackOptions>;

  constructor(overrides: Partial<StackOptions> = {}) {
    this.overrides = overrides;
    this.dataDir = mkdtempSync(join(tmpdir(), "mie-test-"));
  }

  /** The run's shared emulator (test/support/shared-stack.ts): start() attaches to it, dispose() leaves it running. */
  static shared(): TestEmulator {
    const emulator = new TestEmulator();
    emulator.sharedStack = true;
    return emulator;
  }

  private sharedStack = false;

  async start(): Promise<this> {
    if (this.sharedStack) {
      this.endpoints = inject("sharedEndpoints");
      this.started = true;
      return this;
    }
    // Two test files start emulators at once: a port taken in between means new ports, not a failure.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce(attempt > 1 && !this.started);
      } catch (err) {
        if (!isAddressInUse(err) || attempt >= 5) throw err;
      }
    }
  }

  private started = false;

  private async startOnce(newPorts: boolean): Promise<this> {
    if (!this.options || newPorts) {
      this.options = {
        dataDir: this.dataDir,
        tlsDir: process.env.MIE_TEST_TLS_DIR,
        host: "127.0.0.1",
        ports: await pickFreePorts("127.0.0.1"),
        adminClientSecret: DEFAULTS.adminClientSecret,
        // MIE_TEST_LOG=1 shows what the workers print (errors, RBAC denials with enforcement off).
        log: process.env.MIE_TEST_LOG ? (line) => console.log(`[workerd] ${line}`) : undefined,
        ...this.overrides,
      };
    }
    this.stack = await startStack(this.options);
    this.endpoints = this.stack.endpoints;
    this.started = true;
    return this;
  }

  async stop(): Promise<void> {
    await this.stack?.stop();
    this.stack = null;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }


  adminCredential(): ClientSecretCredential {
    const e = this.endpoints;
    return new ClientSecretCredential(e.tenantId, e.admin.clientId, e.admin.clientSecret, {
      authorityHost: e.login,
      disableInstanceDiscovery: true,
    });
  }

  async adminToken(): Promise<string> {
    if (this.adminTokenCache && Date.now() < this.adminTokenCache.until) return this.adminTokenCache.token;
    const t = await this.adminCredential().getToken("https://management.azure.com/.default");
    this.adminTokenCache = { token: t.token, until: Date.now() + 60_000 };
    return t.token;
  }

  /** Drops the cached admin token: after POST /emulator/clock moves the clock past its expiry. */
  forgetAdminToken(): void {
    this.adminTokenCache = null;
  }

  get subscriptionPath(): string {
    return `/subscriptions/${this.endpoints.subscriptionId}`;
  }

  /** A Resource Manager call; `token: null` sends no Authorization header. */
  async arm(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any; headers: Headers }> {
    const bearer = token === undefined ? await this.adminToken() : token;
    const url = path.startsWith("http") ? path : `${this.endpoints.arm}${path}`;
    const response = await fetch(url, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /** A Microsoft Graph call with the given bearer token (null: none). */
  async graph(method: string, path: string, body: unknown, token: string | null): Promise<GraphAnswer> {
    const url = path.startsWith("http") ? path : `${this.endpoints.graph}${path}`;
    const response = await fetch(url, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers, text };
  }

  rgPath(rg: string): string {
    return `${this.subscriptionPath}/resourcegroups/${rg}?api-version=${ARM_API}`;
  }

  vmPath(rg: string, vm: string, suffix = ""): string {
    return `${this.subscriptionPath}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${vm}${suffix}?api-version=${ARM_API}`;
  }

  async createResourceGroup(rg: string): Promise<void> {
    const r = await this.arm("PUT", this.rgPath(rg), { location: "westus" });
    if (r.status !== 200 && r.status !== 201) throw new Error(`create rg: ${r.status} ${JSON.stringify(r.body)}`);
  }

  async createVm(rg: string, vm: string, identity?: { type: string }): Promise<any> {
    const r = await this.arm("PUT", this.vmPath(rg, vm), {
      location: "westus",
      ...(identity ? { identity } : {}),
      properties: {
        hardwareProfile: { vmSize: "Standard_B1s" },
        storageProfile: { imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" } },
        osProfile: { computerName: vm, adminUsername: "azureuser", adminPassword: "Secret-Passw0rd!" },
      },
    });
    if (r.status !== 200 && r.status !== 201) throw new Error(`create vm: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** A role assignment (built-in role by its GUID) to a service principal at `scope`, as the admin; its name. */
  async grant(scope: string, roleId: string, principalId: string): Promise<string> {
    const name = crypto.randomUUID();
    const r = await this.arm("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`, {
      properties: {
        roleDefinitionId: `${this.subscriptionPath}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
        principalId,
        principalType: "ServicePrincipal",
      },
    });
    if (r.status !== 201) throw new Error(`role assignment at ${scope}: ${r.status} ${JSON.stringify(r.body)}`);
    return name;
  }

  async imdsEndpoint(rg: string, vm: string): Promise<string> {
    const r = await this.arm("POST", this.vmPath(rg, vm, "/listImdsEndpoint"));
    if (r.status !== 200) throw new Error(`listImdsEndpoint: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.endpoint;
  }
}

/** A GET at IMDS with the Metadata header (unless told otherwise). */
export async function imds(url: string, headers: Record<string, string> = { Metadata: "true" }, method = "GET") {
  const response = await fetch(url, { method, headers });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: response.status, body, headers: response.headers };
}

export function decodeJwt(token: string): { header: any; payload: any } {
  const [h, p] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(h!, "base64url").toString()),
    payload: JSON.parse(Buffer.from(p!, "base64url").toString()),
  };
}
