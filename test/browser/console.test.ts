// The console in a real browser (chromium, headless): opened from endpoints.json's console URL,
// it shows a VM created through Resource Manager; a token asked by the VM's code (the unmodified
// @azure/identity in its own process) appears in the live flow with its claims and verifies
// against the JWKS; a denial appears with its reason; a role granted from the console's Act page
// reaches the flow and Access control, and can be revoked there. With MIE_CONSOLE_SCREENSHOTS=<dir>
// it also saves the screenshots the README shows.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestEmulator } from "../support/emulator.ts";
import { tokenFromVm } from "../support/vm-process.ts";

const CHROMIUM = process.env.MIE_CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOTS = process.env.MIE_CONSOLE_SCREENSHOTS;
const RG = "console-demo-rg";
const VM = "console-demo-vm";

const emulator = new TestEmulator();
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function screenshot(name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: "disabled" });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No browser at ${CHROMIUM}: apt-get install chromium (or set MIE_CHROMIUM).`);
  await emulator.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  page.on("pageerror", (err) => pageErrors.push(err.message));
});

afterAll(async () => {
  await browser?.close();
  await emulator.dispose();
});

describe("the console in a browser", () => {
  let vmId: string;
  let principalId: string;
  let token: string;

  it("opens from endpoints.json's console URL, signed in, with the flow live", async () => {
    await page.goto(emulator.endpoints.console!);
    expect(new URL(page.url()).search).toBe(""); // the key left the address bar
    await expect.poll(() => page.locator("#flow-connection").textContent()).toBe("live");
    expect(await page.getByRole("navigation", { name: "Pages" }).getByRole("link").allTextContents()).toEqual(["Live flow", "Resource groups", "Directory", "Access control", "Act"]);
  });

  it("shows a VM created through Resource Manager, with its identity", async () => {
    await emulator.createResourceGroup(RG);
    const vm = await emulator.createVm(RG, VM, { type: "SystemAssigned" });
    vmId = vm.id;
    principalId = vm.identity.principalId;
    await page.getByRole("link", { name: "Resource groups" }).click();
    const row = page.locator(`tr[data-resource-id="${vmId}"]`);
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    expect(cells.slice(0, 4)).toEqual([VM, "virtualMachines", "SystemAssigned", principalId]);
    expect(cells[4]).toMatch(/^[0-9a-f-]{36}$/); // its client id, from the directory
    expect(cells[5]).toBe("");
    await screenshot("resources");
    await page.getByRole("link", { name: "Directory" }).click();
    const principal = page.getByRole("row").filter({ hasText: principalId });
    await principal.waitFor();
    expect(await principal.textContent()).toContain("Managed identity (system-assigned)");
    expect(await principal.textContent()).toContain(vmId);
  });

  it("shows the VM's code asking for a token, the assertion, and the token's claims, which verify against the JWKS", async () => {
    await page.getByRole("link", { name: "Live flow" }).click();
    const endpoint = await emulator.imdsEndpoint(RG, VM);
    const result = await tokenFromVm(endpoint, "managed-identity-credential", "https://management.azure.com/.default");
    expect(result.error).toBeUndefined();
    token = result.token!;
    const issued = page.locator('li[data-kind="token-issued"]').filter({ hasText: VM });
    await issued.waitFor();
    await expect.poll(() => page.locator(`li[data-kind="token-requested"][data-resource-id="${vmId}"]`).count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator(`li[data-kind="assertion-presented"][data-resource-id="${vmId}"]`).count()).toBeGreaterThan(0);
    await issued.getByText("Details").click();
    const claims = issued.locator("table").last();
    expect(await claims.getByRole("row").filter({ hasText: /^oid/ }).textContent()).toContain(principalId);
    expect(await claims.getByRole("row").filter({ hasText: /^xms_mirid/ }).textContent()).toContain(vmId);
    await issued.getByRole("button", { name: "Decode and verify token" }).click();
    await expect.poll(() => page.locator("#token-verdict").textContent()).toMatch(/^Verifies against the JWKS/);
    await screenshot("token");
    await page.keyboard.press("Escape");
  });

  it("shows a denial with its reason", async () => {
    const rgPath = `${emulator.subscriptionPath}/resourceGroups/${RG}`;
    expect((await emulator.arm("GET", `${rgPath}?api-version=2021-04-01`, undefined, token)).status).toBe(403);
    const denied = page.locator('li[data-kind="access-denied"]').filter({ hasText: rgPath });
    await denied.waitFor();
    expect(await denied.textContent()).toContain("denied, the principal has no role assignments");
    await screenshot("flow");
  });

  it("grants a role from the Act page; the grant reaches the flow and Access control, and is revoked there", async () => {
    const rgPath = `${emulator.subscriptionPath}/resourceGroups/${RG}`;
    await page.getByRole("link", { name: "Act" }).click();
    await page.getByLabel("Identity", { exact: true }).locator(`option[value="${principalId}"]`).waitFor({ state: "attached" });
    await page.locator("#grant-principal").selectOption(principalId);
    await page.locator("#grant-role").selectOption({ label: "Reader" });
    await page.locator("#grant-scope").selectOption(rgPath);
    await page.getByRole("button", { name: "Grant", exact: true }).click();
    await expect.poll(() => page.locator("#act-result").textContent()).toContain("201 OK");
    await screenshot("act");
    expect((await emulator.arm("GET", `${rgPath}?api-version=2021-04-01`, undefined, token)).status).toBe(200);

    await page.getByRole("link", { name: "Live flow" }).click();
    await page.locator('li[data-kind="role-assigned"]').filter({ hasText: principalId }).waitFor();
    const granted = page.locator('li[data-kind="access-granted"]').filter({ hasText: rgPath });
    await granted.waitFor();
    expect(await granted.textContent()).toContain(`granted by Reader at ${rgPath}`);

    await page.getByRole("link", { name: "Access control" }).click();
    await page.locator("#check-principal").locator(`option[value="${principalId}"]`).waitFor({ state: "attached" });
    await page.locator("#check-principal").selectOption(principalId);
    await page.locator("#check-scope").selectOption(vmId);
    await page.getByRole("button", { name: "Check access" }).click();
    await expect.poll(() => page.locator("#check-result").textContent()).toContain(`Reader (inherited from ${rgPath})`);
    await screenshot("access");
    await page.getByRole("button", { name: new RegExp(`^Revoke Reader from ${VM}$`) }).click();
    await expect.poll(() => page.getByRole("button", { name: new RegExp(`^Revoke Reader from ${VM}$`) }).count()).toBe(0);
    expect((await emulator.arm("GET", `${rgPath}?api-version=2021-04-01`, undefined, token)).status).toBe(403);
  });

  it("creates a web app with an identity from the Act page and asks for a token as it: App Service's endpoint appears in the flow", async () => {
    await page.getByRole("link", { name: "Act" }).click();
    await page.locator("#token-host option").first().waitFor({ state: "attached" });
    const app = `console-app-${Date.now().toString(36)}`;
    await page.getByLabel("App name (unique in the emulator)").fill(app);
    await page.getByRole("button", { name: "Create web app" }).click();
    await expect.poll(() => page.locator("#act-result").textContent()).toContain(`PUT web app ${app}200 OK`);
    const siteId = `${emulator.subscriptionPath}/resourceGroups/demo-rg/providers/Microsoft.Web/sites/${app}`;
    await page.locator(`#token-host option[value="${siteId}"]`).waitFor({ state: "attached" });
    await page.locator("#token-host").selectOption(siteId);
    await page.getByLabel("Resource (audience)").fill("https://storage.azure.com/");
    await page.getByRole("button", { name: "Ask for a token" }).click();
    await expect.poll(() => page.locator("#act-result").textContent()).toContain("access_token");
    await page.getByRole("link", { name: "Live flow" }).click();
    const requested = page.locator(`li[data-kind="token-requested"][data-resource-id="${siteId}"]`);
    await requested.waitFor();
    expect(await requested.textContent()).toContain("App Service's identity endpoint");
    await page.locator(`li[data-kind="endpoint-configured"][data-resource-id="${siteId}"]`).waitFor();

    // A user-assigned identity, created and attached to the web app from Act.
    await page.getByRole("link", { name: "Act" }).click();
    await page.locator(`#uami-host option[value="${siteId}"]`).waitFor({ state: "attached" });
    await page.getByLabel("Identity name").fill(`${app}-id`);
    await page.locator("#uami-host").selectOption(siteId);
    await page.getByRole("button", { name: "Create and attach" }).click();
    await expect.poll(() => page.locator("#act-result").textContent()).toContain(`Attach ${app}-id to ${app}200 OK`);
    const site = await emulator.arm("GET", `${siteId}?api-version=2023-12-01`);
    expect(site.body.identity.type).toBe("SystemAssigned, UserAssigned");
    const attached = Object.values(site.body.identity.userAssignedIdentities as Record<string, { clientId: string }>)[0]!;
    await page.getByRole("link", { name: "Resource groups" }).click();
    const row = page.locator(`tr[data-resource-id="${siteId}"]`);
    await row.waitFor();
    expect(await row.locator("td").last().textContent()).toBe(`${app}-id: ${attached.clientId}`);
  });

  it("injects an identity-endpoint fault and advances the clock from the Act page; the fault appears in the flow", async () => {
    await page.getByRole("link", { name: "Act" }).click();
    await page.locator(`#fault-scope option[value="${vmId}"]`).waitFor({ state: "attached" });
    await page.locator("#fault-scope").selectOption(vmId);
    await page.locator("#fault-status").selectOption("503");
    await page.getByLabel("Requests affected").fill("1");
    await page.getByRole("button", { name: "Inject" }).click();
    await expect.poll(() => page.locator("#act-result").textContent()).toMatch(/Inject fault console-\w+200 OK/);
    await expect.poll(() => page.locator("#fault-list li").count()).toBe(1);
    await page.locator("#token-host").selectOption(vmId);
    await page.getByLabel("Resource (audience)").fill("https://vault.azure.net");
    await page.getByRole("button", { name: "Ask for a token" }).click();
    await expect.poll(() => page.locator("#act-result").textContent()).toContain("503");
    await page.getByLabel("Seconds").fill("120");
    await page.getByRole("button", { name: "Advance" }).click();
    await expect.poll(() => page.locator("#clock-now").textContent()).toContain("(offset 120 s)");
    await page.getByRole("link", { name: "Live flow" }).click();
    const fault = page.locator(`li[data-kind="token-refused"][data-resource-id="${vmId}"]`).filter({ hasText: "injected fault" });
    await fault.waitFor();
    expect(await fault.textContent()).toContain("answers 503");
    // The filter keeps only the events that mention every word typed.
    await page.getByLabel("Filter").fill("injected fault");
    await expect.poll(() => page.locator("#flow-events > li:not([hidden])").count()).toBe(1);
    await page.getByLabel("Filter").fill("");
    await expect.poll(() => page.locator("#flow-events > li:not([hidden])").count()).toBeGreaterThan(5);
  });

  it("is usable with a keyboard and every control has a label", async () => {
    await page.getByRole("link", { name: "Act" }).click();
    await page.locator("#act-vm").waitFor();
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll("input, select, button"))
        .filter((el) => {
          const control = el as HTMLInputElement;
          const named = (control.labels?.length ?? 0) > 0 || control.getAttribute("aria-label") || (el.tagName === "BUTTON" && el.textContent?.trim());
          return !named && control.type !== "hidden";
        })
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    expect(unlabelled).toEqual([]);
    // The skip link comes first, then the navigation; Enter on a page link shows that page.
    await page.goto(new URL(emulator.endpoints.console!).origin + "/");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Resource groups");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#page-resources").isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
