// The IMDS worker's short-lived copies of its VM hosts' token answers (workers/imds/src/token-answers.ts):
// served only while young and not due for refresh, forgotten on a VM's change, and never kept
// when they were read from the host before that change.
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerGeneration, answerKey, forgetAllAnswers, forgetAnswers, recentAnswer, rememberAnswer } from "../../workers/imds/src/token-answers";

const VM = "a".repeat(40);
const now = () => Math.floor(Date.now() / 1000);
const body = (expiresOn: number) => ({ access_token: "t", client_id: "c", expires_in: "0", expires_on: String(expiresOn), resource: "r", token_type: "Bearer" });
const key = answerKey("https://vault.azure.net", {});
const trace = (principalId: string) => ({ hostResourceId: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v", identity: { kind: "SystemAssigned" as const, clientId: "c", principalId } });

afterEach(() => {
  forgetAllAnswers();
  vi.useRealTimers();
});

describe("IMDS answer copies", () => {
  it("serve a young answer with expires_in as of now, per resource and selector", () => {
    rememberAnswer(VM, key, body(now() + 3600), trace("p1"), answerGeneration(VM));
    const copy = recentAnswer(VM, key, now());
    expect(copy?.trace.identity.principalId).toBe("p1");
    expect(Number(copy!.body.expires_in)).toBeGreaterThan(3590);
    expect(recentAnswer(VM, answerKey("https://vault.azure.net", { clientId: "x" }), now())).toBeNull();
    expect(recentAnswer("b".repeat(40), key, now())).toBeNull();
    // The resource as sent is the token's aud: another spelling is another request; selector ids are not case-sensitive.
    expect(recentAnswer(VM, answerKey("https://Vault.azure.net", {}), now())).toBeNull();
    rememberAnswer(VM, answerKey("https://vault.azure.net", { clientId: "ABC" }), body(now() + 3600), trace("p1"), answerGeneration(VM));
    expect(recentAnswer(VM, answerKey("https://vault.azure.net", { clientId: "abc" }), now())).not.toBeNull();
  });

  it("expire after a second, and never outlive the host's refresh point", () => {
    vi.useFakeTimers();
    rememberAnswer(VM, key, body(now() + 3600), trace("p1"), answerGeneration(VM));
    vi.advanceTimersByTime(1_000);
    expect(recentAnswer(VM, key, now())).toBeNull();
    rememberAnswer(VM, key, body(now() + 200), trace("p1"), answerGeneration(VM));
    expect(recentAnswer(VM, key, now())).toBeNull();
  });

  it("are forgotten when the VM changes, and an answer read before the change is not kept", () => {
    rememberAnswer(VM, key, body(now() + 3600), trace("p1"), answerGeneration(VM));
    const before = answerGeneration(VM);
    forgetAnswers(VM);
    expect(recentAnswer(VM, key, now())).toBeNull();
    rememberAnswer(VM, key, body(now() + 3600), trace("p1"), before);
    expect(recentAnswer(VM, key, now())).toBeNull();
    rememberAnswer(VM, key, body(now() + 3600), trace("p2"), answerGeneration(VM));
    expect(recentAnswer(VM, key, now())?.trace.identity.principalId).toBe("p2");
    const beforeAll = answerGeneration(VM);
    forgetAllAnswers();
    rememberAnswer(VM, key, body(now() + 3600), trace("p3"), beforeAll);
    expect(recentAnswer(VM, key, now())).toBeNull();
  });
});
