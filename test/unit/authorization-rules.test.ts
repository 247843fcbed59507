// Pure rules of the authorization seam: action wildcards and scope containment.
import { describe, expect, it } from "vitest";
import { scopeContains, parseArmPath } from "../../shared/resource-id";
import { actionMatches, builtInRoleByName, roleGrants } from "../../workers/arm/src/providers/authorization/role-definitions";

describe("action patterns", () => {
  it("matches wildcards case-insensitively, with */ matching zero or more segments", () => {
    expect(actionMatches("*", "Microsoft.Compute/virtualMachines/write")).toBe(true);
    expect(actionMatches("*/read", "Microsoft.Compute/virtualMachines/read")).toBe(true);
    expect(actionMatches("*/read", "Microsoft.Compute/virtualMachines/write")).toBe(false);
    expect(actionMatches("Microsoft.Compute/virtualMachines/*", "microsoft.compute/VIRTUALMACHINES/listImdsEndpoint/action")).toBe(true);
    expect(actionMatches("Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action", "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action")).toBe(true);
    expect(actionMatches("Microsoft.ManagedIdentity/userAssignedIdentities/*/read", "Microsoft.ManagedIdentity/userAssignedIdentities/read")).toBe(true);
    expect(actionMatches("Microsoft.Compute/virtualMachines/*", "Microsoft.Compute/virtualMachineScaleSets/write")).toBe(false);
  });

  it("subtracts notActions within a role and keeps actions and data actions apart", () => {
    const contributor = builtInRoleByName("Contributor")!;
    expect(roleGrants(contributor, "Microsoft.Compute/virtualMachines/write", "action")).toBe(true);
    expect(roleGrants(contributor, "Microsoft.Authorization/roleAssignments/write", "action")).toBe(false);
    const owner = builtInRoleByName("Owner")!;
    expect(roleGrants(owner, "Microsoft.KeyVault/vaults/secrets/getSecret/action", "dataAction")).toBe(false);
    const secretsUser = builtInRoleByName("Key Vault Secrets User")!;
    expect(roleGrants(secretsUser, "Microsoft.KeyVault/vaults/secrets/getSecret/action", "dataAction")).toBe(true);
    expect(roleGrants(builtInRoleByName("Reader")!, "Microsoft.Compute/virtualMachines/write", "action")).toBe(false);
    expect(roleGrants(builtInRoleByName("Virtual Machine Contributor")!, "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", "action")).toBe(false);
  });
});

describe("scopes and paths", () => {
  it("contains on segment boundaries, case-insensitively", () => {
    expect(scopeContains("/subscriptions/S", "/subscriptions/s/resourceGroups/rg")).toBe(true);
    expect(scopeContains("/subscriptions/s/resourceGroups/rg", "/subscriptions/s/resourceGroups/rg2")).toBe(false);
    expect(scopeContains("/", "/subscriptions/s")).toBe(true);
  });

  it("parses extension resources below a resource and collapses doubled slashes", () => {
    const p = parseArmPath("//subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/providers/Microsoft.Authorization/roleAssignments/x");
    expect(p).toMatchObject({ subscriptionId: "s", resourceGroup: "rg", namespace: "Microsoft.Authorization", types: ["roleAssignments"], names: ["x"] });
    expect(p.scope).toBe("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm");
  });
});
