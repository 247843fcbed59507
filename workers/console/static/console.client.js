// The console's client: no framework and no build step (served as one file, offline). Every
// read and change goes through the console worker's /api, which calls the emulator's public APIs
// as the seeded admin; the live flow arrives as server-sent events.
"use strict";

const RESOURCES_API = "2021-04-01";
const AUTHZ_API = "2022-04-01";
const COMPUTE_API = "2024-07-01";
const MSI_API = "2023-01-31";
const WEB_API = "2023-12-01";
const STEP_NAMES = {
  1: "Identity enabled",
  2: "Service principal",
  3: "Identity endpoint configured",
  4: "Role assignment",
  5: "Token requested",
  6: "Authority",
  7: "Resource server",
};
const KIND_LABELS = {
  "identity-enabled": "identity enabled",
  "identity-removed": "identity removed",
  "principal-created": "service principal created",
  "endpoint-configured": "endpoint configured",
  "role-assigned": "role assigned",
  "role-removed": "role removed",
  "token-requested": "token requested",
  "assertion-presented": "client assertion presented",
  "token-issued": "token issued",
  "token-refused": "token refused",
  "access-granted": "access granted",
  "access-denied": "access denied",
};

let context = null;

// ---- helpers ---------------------------------------------------------------------------------

/** An element with attributes and children (strings become text: nothing is parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  return node;
}

function status(message) {
  document.getElementById("status").textContent = message || "";
}

async function api(path, { method = "GET", body } = {}) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.status === 401 && path.startsWith("/api/") && !path.startsWith("/api/arm") && !path.startsWith("/api/graph")) {
    location.reload();
    throw new Error("signed out");
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = { raw: text }; }
  return { status: response.status, ok: response.ok, body: json };
}

/** An Azure-shaped error's message, for people. */
function errorText(answer) {
  const e = answer.body && (answer.body.error || answer.body);
  if (e && typeof e === "object") return `${answer.status} ${e.code || e.error || ""}: ${e.message || e.error_description || JSON.stringify(e)}`;
  return `${answer.status}`;
}

async function armGet(path) {
  const answer = await api(`/api/arm${path}`);
  if (!answer.ok) throw new Error(errorText(answer));
  return answer.body;
}

/** Every page of an ARM list (nextLink). */
async function armList(path) {
  const items = [];
  let next = path;
  while (next) {
    const page = await armGet(next);
    items.push(...(page.value || []));
    next = page.nextLink ? page.nextLink.replace(/^https?:\/\/[^/]+/, "") : null;
  }
  return items;
}

function resourceGroupOf(id) {
  const match = /\/resourceGroups\/([^/]+)/i.exec(id || "");
  return match ? match[1] : null;
}

function shortType(type) {
  return (type || "").split("/").slice(1).join("/") || type;
}

function kv(entries) {
  return el("dl", { className: "kv" }, entries.filter(([, v]) => v !== undefined && v !== null && v !== "").flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v instanceof Node ? v : typeof v === "object" ? el("code", {}, JSON.stringify(v)) : String(v))]));
}

function claimsTable(claims) {
  return el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "claim"), el("th", { scope: "col" }, "value"))),
    el("tbody", {}, Object.entries(claims || {}).map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", { className: "mono" }, claimValue(k, v))))));
}

function claimValue(name, value) {
  if (["iat", "nbf", "exp"].includes(name) && typeof value === "number") return `${value} (${new Date(value * 1000).toISOString()})`;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// ---- pages -----------------------------------------------------------------------------------

const pages = {
  flow: () => undefined,
  resources: loadResources,
  directory: loadDirectory,
  access: loadAccess,
  act: loadAct,
};

function route() {
  const page = (location.hash.replace(/^#\//, "") || "flow").split("?")[0];
  const name = pages[page] ? page : "flow";
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== `page-${name}`;
  for (const link of document.querySelectorAll("header nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  status("");
  Promise.resolve(pages[name]()).catch((err) => status(err.message));
}

// Resource groups and their resources, with each resource's identities.
async function loadResources() {
  const body = document.getElementById("resources-body");
  const sub = `/subscriptions/${context.subscriptionId}`;
  const [groups, resources, principals] = await Promise.all([
    armList(`${sub}/resourcegroups?api-version=${RESOURCES_API}`),
    armList(`${sub}/resources?api-version=${RESOURCES_API}`),
    directory(),
  ]);
  // Resource Manager shows a system-assigned identity's principal id; its client id is the directory's appId.
  const appIds = new Map(principals.map((p) => [p.id.toLowerCase(), p.appId]));
  body.replaceChildren();
  if (!groups.length) body.append(el("p", {}, "No resource groups yet. Create a VM from ", el("a", { href: "#/act" }, "Act"), ", or with az, the SDKs or a template."));
  for (const group of groups) {
    const inGroup = resources.filter((r) => (resourceGroupOf(r.id) || "").toLowerCase() === group.name.toLowerCase());
    body.append(el("section", { className: "card", "aria-label": `Resource group ${group.name}` },
      el("h3", {}, `${group.name} `, el("span", { className: "pill" }, group.location)),
      inGroup.length ? el("table", {},
        el("thead", {}, el("tr", {}, ["Name", "Type", "Identity", "Principal id", "Client id", "User-assigned identities (client id)"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, inGroup.map((r) => el("tr", { "data-resource-id": r.id },
          el("td", {}, r.name),
          el("td", {}, shortType(r.type)),
          el("td", {}, r.identity ? r.identity.type : shortType(r.type) === "userAssignedIdentities" ? "is an identity" : "none"),
          el("td", { className: "mono" }, r.identity && r.identity.principalId ? r.identity.principalId : ""),
          el("td", { className: "mono" }, r.identity && r.identity.principalId ? appIds.get(r.identity.principalId.toLowerCase()) || "" : ""),
          el("td", { className: "mono" }, r.identity && r.identity.userAssignedIdentities
            ? Object.entries(r.identity.userAssignedIdentities).map(([id, v]) => el("div", {}, `${id.split("/").pop()}: ${v.clientId || ""}`)) : ""),
        )))) : el("p", {}, "No resources in this group.")));
  }
}

async function directory() {
  const answer = await api("/api/graph/v1.0/servicePrincipals?$top=999");
  if (!answer.ok) throw new Error(errorText(answer));
  return answer.body.value || [];
}

async function loadDirectory() {
  const principals = await directory();
  const body = document.getElementById("directory-body");
  body.replaceChildren(el("table", {},
    el("thead", {}, el("tr", {}, ["Display name", "Kind", "Object id", "Application (client) id", "Belongs to"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, principals.map((p) => {
      const managed = p.servicePrincipalType === "ManagedIdentity";
      const owner = managed ? (p.alternativeNames || []).find((n) => n.startsWith("/")) : null;
      const explicit = managed && (p.alternativeNames || []).includes("isExplicit=True");
      return el("tr", {},
        el("td", {}, p.displayName),
        el("td", {}, managed ? el("strong", {}, explicit ? "Managed identity (user-assigned)" : "Managed identity (system-assigned)") : "Application"),
        el("td", { className: "mono" }, p.id),
        el("td", { className: "mono" }, p.appId),
        el("td", { className: "mono" }, owner || ""));
    }))));
}

async function roleDefinitions() {
  const roles = await armList(`/subscriptions/${context.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions?api-version=${AUTHZ_API}`);
  return new Map(roles.map((r) => [r.id.split("/").pop().toLowerCase(), r]));
}

async function scopes() {
  const sub = `/subscriptions/${context.subscriptionId}`;
  const [groups, resources] = await Promise.all([armList(`${sub}/resourcegroups?api-version=${RESOURCES_API}`), armList(`${sub}/resources?api-version=${RESOURCES_API}`)]);
  return [{ id: sub, label: `subscription ${context.subscriptionId}` }, ...groups.map((g) => ({ id: g.id, label: `resource group ${g.name}` })), ...resources.map((r) => ({ id: r.id, label: `${shortType(r.type)} ${r.name}` }))];
}

function fillSelect(select, options, keep = true) {
  const previous = select.value;
  select.replaceChildren(...options.map((o) => el("option", { value: o.value }, o.label)));
  if (keep && options.some((o) => o.value === previous)) select.value = previous;
}

function principalOptions(principals) {
  return principals.map((p) => ({ value: p.id, label: `${p.displayName} (${p.servicePrincipalType === "ManagedIdentity" ? "managed identity" : "application"})` }));
}

async function loadAccess() {
  const [assignments, roles, principals, scopeList] = await Promise.all([
    armList(`/subscriptions/${context.subscriptionId}/providers/Microsoft.Authorization/roleAssignments?api-version=${AUTHZ_API}`),
    roleDefinitions(),
    directory(),
    scopes(),
  ]);
  const names = new Map(principals.map((p) => [p.id.toLowerCase(), p.displayName]));
  fillSelect(document.getElementById("check-principal"), principalOptions(principals));
  fillSelect(document.getElementById("check-scope"), scopeList.map((s) => ({ value: s.id, label: s.label })));
  const byScope = new Map();
  for (const a of assignments) {
    const scope = a.properties.scope;
    if (!byScope.has(scope)) byScope.set(scope, []);
    byScope.get(scope).push(a);
  }
  const body = document.getElementById("access-body");
  body.replaceChildren();
  for (const [scope, list] of [...byScope].sort(([a], [b]) => a.length - b.length || a.localeCompare(b))) {
    body.append(el("section", { className: "card", "aria-label": `Assignments at ${scope}` },
      el("h4", {}, el("code", {}, scope)),
      el("table", {},
        el("thead", {}, el("tr", {}, ["Role", "Principal", "Actions", "Data actions", ""].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, list.map((a) => {
          const role = roles.get(a.properties.roleDefinitionId.split("/").pop().toLowerCase());
          const permissions = (role && role.properties.permissions) || [];
          return el("tr", {},
            el("td", {}, role ? role.properties.roleName : a.properties.roleDefinitionId),
            el("td", {}, names.get(a.properties.principalId.toLowerCase()) || "", " ", el("code", {}, a.properties.principalId)),
            el("td", { className: "mono" }, permissions.flatMap((p) => [...(p.actions || []), ...(p.notActions || []).map((n) => `not ${n}`)]).join(", ")),
            el("td", { className: "mono" }, permissions.flatMap((p) => [...(p.dataActions || []), ...(p.notDataActions || []).map((n) => `not ${n}`)]).join(", ")),
            el("td", {}, a.properties.principalId.toLowerCase() === (context.adminObjectId || "") ? el("span", { className: "hint" }, "the seeded admin (kept by reset)") : el("button", { type: "button", className: "danger", "aria-label": `Revoke ${role ? role.properties.roleName : "role"} from ${names.get(a.properties.principalId.toLowerCase()) || a.properties.principalId}`, onclick: () => revoke(a) }, "Revoke")));
        })))));
  }
  if (!assignments.length) body.append(el("p", {}, "No role assignments."));
}

async function revoke(assignment) {
  const answer = await api(`/api/arm${assignment.id}?api-version=${AUTHZ_API}`, { method: "DELETE", body: {} });
  status(answer.ok ? "" : errorText(answer));
  await loadAccess();
}

/** Whether `outer` is `inner` or above it. */
function scopeContains(outer, inner) {
  const o = outer.toLowerCase().replace(/\/+$/, "");
  const i = inner.toLowerCase().replace(/\/+$/, "");
  return o === "" || i === o || i.startsWith(`${o}/`);
}

async function checkAccess(event) {
  event.preventDefault();
  const principalId = document.getElementById("check-principal").value;
  const scope = document.getElementById("check-scope").value;
  const result = document.getElementById("check-result");
  result.replaceChildren("Checking…");
  const [assignments, roles] = await Promise.all([
    armList(`${scope}/providers/Microsoft.Authorization/roleAssignments?api-version=${AUTHZ_API}&$filter=${encodeURIComponent(`principalId eq '${principalId}'`)}`),
    roleDefinitions(),
  ]);
  const effective = assignments.filter((a) => scopeContains(a.properties.scope, scope));
  if (!effective.length) {
    result.replaceChildren(el("p", { className: "verdict-bad" }, "No role assignment at or above this scope: every action and data action here is denied (403)."));
    return;
  }
  result.replaceChildren(el("p", { className: "verdict-ok" }, `${effective.length} role assignment(s) apply here; what they allow is the union of their permissions:`),
    el("ul", {}, effective.map((a) => {
      const role = roles.get(a.properties.roleDefinitionId.split("/").pop().toLowerCase());
      const p = (role && role.properties.permissions && role.properties.permissions[0]) || {};
      const where = a.properties.scope.toLowerCase() === scope.toLowerCase() ? "assigned at this scope" : `inherited from ${a.properties.scope}`;
      return el("li", {}, el("strong", {}, role ? role.properties.roleName : a.properties.roleDefinitionId), ` (${where})`,
        kv([["actions", (p.actions || []).join(", ") || "none"], ["not actions", (p.notActions || []).join(", ")], ["data actions", (p.dataActions || []).join(", ") || "none"], ["not data actions", (p.notDataActions || []).join(", ")]]));
    })));
}

// Actions a presenter needs, each through the public APIs.
async function loadAct() {
  const sub = `/subscriptions/${context.subscriptionId}`;
  const [resources, principals, roles, scopeList, clock, faults] = await Promise.all([
    armList(`${sub}/resources?api-version=${RESOURCES_API}`),
    directory(),
    roleDefinitions(),
    scopes(),
    armGet("/emulator/clock").catch(() => null),
    armGet("/emulator/faults").catch(() => ({ value: [] })),
  ]);
  const hosts = resources.filter((r) => /^microsoft\.(compute\/virtualmachines|web\/sites)$/i.test(r.type));
  fillSelect(document.getElementById("token-host"), hosts.map((h) => ({ value: h.id, label: `${shortType(h.type)} ${h.name}` })));
  fillSelect(document.getElementById("uami-host"), [{ value: "", label: "(create only)" }, ...hosts.map((h) => ({ value: h.id, label: `${shortType(h.type)} ${h.name}` }))]);
  fillSelect(document.getElementById("grant-principal"), principalOptions(principals));
  fillSelect(document.getElementById("grant-role"), [...roles.values()].sort((a, b) => a.properties.roleName.localeCompare(b.properties.roleName)).map((r) => ({ value: r.id, label: r.properties.roleName })));
  fillSelect(document.getElementById("grant-scope"), scopeList.map((s) => ({ value: s.id, label: s.label })));
  fillSelect(document.getElementById("fault-scope"), [{ value: "*", label: "every VM and site" }, ...hosts.map((h) => ({ value: h.id, label: `${shortType(h.type)} ${h.name}` }))]);
  const siteName = document.getElementById("site-name");
  if (!siteName.value) siteName.value = `demo-app-${Math.random().toString(36).slice(2, 8)}`;
  document.getElementById("clock-now").textContent = clock ? `Emulator time: ${clock.now} (offset ${clock.offsetSeconds} s)` : "";
  const list = document.getElementById("fault-list");
  list.replaceChildren(...(faults.value || faults || []).map((f) => el("li", {}, `${f.name}: ${f.status} at ${f.scope}${f.remaining !== undefined ? `, ${f.remaining} left` : ""} `,
    el("button", { type: "button", className: "quiet", "aria-label": `Remove fault ${f.name}`, onclick: async () => { await api(`/api/arm/emulator/faults/${encodeURIComponent(f.name)}`, { method: "DELETE", body: {} }); await loadAct(); } }, "Remove"))));
}

function showResult(title, answer) {
  const box = document.getElementById("act-result");
  box.hidden = false;
  box.replaceChildren(el("h3", {}, title), el("p", { className: answer.ok ? "verdict-ok" : "verdict-bad" }, answer.ok ? `${answer.status} OK` : errorText(answer)), el("pre", {}, JSON.stringify(answer.body, null, 2)));
}

async function act(title, steps) {
  status("");
  let last = null;
  for (const step of steps) {
    last = await step(last);
    if (!last.ok) break;
  }
  showResult(title, last);
  await loadAct().catch(() => undefined);
  return last;
}

function armPut(path, body) {
  return api(`/api/arm${path}`, { method: "PUT", body });
}

/** The resource group a form names (its input's id), and the step that creates or keeps it. */
function formGroup(inputId) {
  const path = `/subscriptions/${context.subscriptionId}/resourceGroups/${document.getElementById(inputId).value.trim()}`;
  return { path, ensure: () => armPut(`${path}?api-version=${RESOURCES_API}`, { location: "westus" }) };
}

async function createVm(event) {
  event.preventDefault();
  const name = document.getElementById("vm-name").value.trim();
  const identity = document.getElementById("vm-identity").value;
  const group = formGroup("vm-group");
  const rg = group.path;
  await act(`PUT virtual machine ${name}`, [
    group.ensure,
    () => armPut(`${rg}/providers/Microsoft.Compute/virtualMachines/${name}?api-version=${COMPUTE_API}`, {
      location: "westus",
      identity: { type: identity },
      properties: {
        hardwareProfile: { vmSize: "Standard_B1s" },
        storageProfile: { imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" } },
        osProfile: { computerName: name, adminUsername: "azureuser", adminPassword: `Console-${crypto.randomUUID()}` },
      },
    }),
  ]);
}

async function createSite(event) {
  event.preventDefault();
  const name = document.getElementById("site-name").value.trim();
  const identity = document.getElementById("site-identity").value;
  const group = formGroup("site-group");
  const rg = group.path;
  const planId = `${rg}/providers/Microsoft.Web/serverfarms/${name}-plan`;
  await act(`PUT web app ${name}`, [
    group.ensure,
    () => armPut(`${planId}?api-version=${WEB_API}`, { location: "westus", kind: "linux", sku: { name: "B1", tier: "Basic" }, properties: { reserved: true } }),
    () => armPut(`${rg}/providers/Microsoft.Web/sites/${name}?api-version=${WEB_API}`, {
      location: "westus",
      kind: "app,linux",
      identity: { type: identity },
      properties: { serverFarmId: planId, httpsOnly: true, siteConfig: { linuxFxVersion: "NODE|20-lts" } },
    }),
  ]);
}

async function attachIdentity(event) {
  event.preventDefault();
  const name = document.getElementById("uami-name").value.trim();
  const vmId = document.getElementById("uami-host").value;
  const group = formGroup("uami-group");
  const rg = group.path;
  const identityId = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
  const steps = [
    group.ensure,
    () => armPut(`${identityId}?api-version=${MSI_API}`, { location: "westus" }),
  ];
  if (vmId) {
    const apiVersion = /\/microsoft\.web\/sites\//i.test(vmId) ? WEB_API : COMPUTE_API;
    steps.push(async () => {
      const host = await api(`/api/arm${vmId}?api-version=${apiVersion}`);
      if (!host.ok) return host;
      const current = host.body.identity || { type: "None" };
      const system = /SystemAssigned/i.test(current.type || "");
      const users = Object.fromEntries(Object.keys(current.userAssignedIdentities || {}).map((id) => [id, {}]));
      users[identityId] = {};
      return api(`/api/arm${vmId}?api-version=${apiVersion}`, { method: "PATCH", body: { identity: { type: system ? "SystemAssigned, UserAssigned" : "UserAssigned", userAssignedIdentities: users } } });
    });
  }
  await act(vmId ? `Attach ${name} to ${vmId.split("/").pop()}` : `PUT user-assigned identity ${name}`, steps);
}

async function grantRole(event) {
  event.preventDefault();
  const principalId = document.getElementById("grant-principal").value;
  const roleDefinitionId = document.getElementById("grant-role").value;
  const scope = document.getElementById("grant-scope").value;
  await act("PUT role assignment", [() => armPut(`${scope}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}?api-version=${AUTHZ_API}`, {
    properties: { roleDefinitionId, principalId, principalType: "ServicePrincipal" },
  })]);
}

async function askToken(event) {
  event.preventDefault();
  const resourceId = document.getElementById("token-host").value;
  const resource = document.getElementById("token-resource").value.trim();
  const clientId = document.getElementById("token-client").value.trim();
  const answer = await api("/api/token-as", { method: "POST", body: { resourceId, resource, ...(clientId ? { clientId } : {}) } });
  const inner = answer.ok ? { ok: answer.body.status === 200, status: answer.body.status, body: answer.body.body } : answer;
  showResult(`Token for ${resource} as ${resourceId.split("/").pop()}`, inner);
  if (inner.ok && inner.body && inner.body.access_token) {
    document.getElementById("act-result").append(el("button", { type: "button", onclick: () => inspect(inner.body.access_token) }, "Decode and verify this token"));
  }
}

async function advanceClock(event) {
  event.preventDefault();
  const seconds = Number(document.getElementById("clock-seconds").value);
  await act(`Advance the clock by ${seconds} s`, [() => api("/api/arm/emulator/clock", { method: "POST", body: { advanceSeconds: seconds } })]);
}

async function injectFault(event) {
  event.preventDefault();
  const scope = document.getElementById("fault-scope").value;
  const statusCode = Number(document.getElementById("fault-status").value);
  const count = Number(document.getElementById("fault-count").value);
  const name = `console-${Date.now().toString(36)}`;
  await act(`Inject fault ${name}`, [() => api(`/api/arm/emulator/faults/${name}`, { method: "PUT", body: { service: "imds", scope, status: statusCode, count, ...(statusCode === 429 || statusCode === 503 ? { retryAfterSeconds: 5 } : {}) } })]);
}

// ---- the live flow ---------------------------------------------------------------------------

const flowList = () => document.getElementById("flow-events");
const shown = new Set();
const MAX_SHOWN = 300;

function outcomeClass(kind) {
  if (kind === "access-denied") return "denied";
  if (kind === "token-refused") return "refused";
  if (kind === "access-granted") return "granted";
  if (kind === "token-issued") return "issued";
  return "";
}

function renderEvent(event) {
  const d = event.detail || {};
  const parts = [];
  if (d.assertion) parts.push(el("h4", {}, "Client assertion (signed by the identity endpoint with the identity's certificate)"), el("p", {}, "Header"), claimsTable(d.assertion.header), el("p", {}, "Claims"), claimsTable(d.assertion.claims));
  if (d.checks) parts.push(el("h4", {}, "What the authority checked"), el("ul", {}, d.checks.map((c) => el("li", {}, c))));
  if (d.claims) parts.push(el("h4", {}, "Issued token's claims"), claimsTable(d.claims));
  if (d.grantedBy) parts.push(el("h4", {}, "Granted by"), kv([["role", d.grantedBy.roleName], ["assigned at", d.grantedBy.scope], ["assignment", d.grantedBy.assignmentName]]));
  if (d.reason) parts.push(el("h4", {}, "Why denied"), el("p", { className: "verdict-bad" }, d.reason));
  const rest = Object.entries(d).filter(([k]) => !["assertion", "checks", "claims", "header", "token", "grantedBy", "reason"].includes(k));
  if (rest.length) parts.push(kv(rest));
  const head = el("div", { className: "head" },
    el("span", { className: `step s${event.step}`, title: STEP_NAMES[event.step] }, `Step ${event.step}`),
    el("span", { className: "what" }, KIND_LABELS[event.kind] || event.kind),
    el("span", { className: "service" }, event.service),
    el("time", { datetime: event.at }, new Date(event.at).toLocaleTimeString()));
  return el("li", { className: `event new ${outcomeClass(event.kind)}`, "data-kind": event.kind, "data-step": String(event.step), "data-seq": String(event.seq), "data-resource-id": event.resourceId },
    head,
    el("p", { className: "summary" }, event.summary),
    d.token ? el("button", { type: "button", className: "quiet", onclick: () => inspect(d.token) }, "Decode and verify token") : null,
    parts.length ? el("details", {}, el("summary", {}, "Details"), ...parts) : null);
}

/** The flow filter: events whose text contains every word typed (a VM's name, a step, a service). */
function matchesFilter(node) {
  const words = document.getElementById("flow-filter").value.toLowerCase().split(/\s+/).filter(Boolean);
  const text = `${node.textContent} ${node.dataset.resourceId || ""}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

function applyFilter() {
  for (const node of flowList().children) node.hidden = !matchesFilter(node);
}

function addEvent(event) {
  if (shown.has(event.seq)) return;
  shown.add(event.seq);
  if (document.getElementById("flow-pause").checked) return;
  const list = flowList();
  const node = renderEvent(event);
  node.hidden = !matchesFilter(node);
  // Newest first; events from different services can arrive out of order: placed by time, then sequence.
  const key = (e) => `${e.at}|${String(e.seq).padStart(12, "0")}`;
  node.dataset.key = key(event);
  const after = [...list.children].find((child) => child.dataset.key < node.dataset.key);
  list.insertBefore(node, after || null);
  while (list.children.length > MAX_SHOWN) list.lastElementChild.remove();
}

function connectFlow() {
  const badge = document.getElementById("flow-connection");
  const source = new EventSource("/api/flow");
  source.addEventListener("open", () => { badge.textContent = "live"; badge.className = "pill live"; });
  source.addEventListener("error", () => { badge.textContent = "reconnecting…"; badge.className = "pill down"; });
  source.addEventListener("flow", (message) => addEvent(JSON.parse(message.data)));
  source.addEventListener("reset", () => { flowList().replaceChildren(); shown.clear(); });
}

// ---- tokens ----------------------------------------------------------------------------------

async function inspect(token) {
  const dialog = document.getElementById("token-dialog");
  const body = document.getElementById("token-dialog-body");
  body.replaceChildren("Verifying against the authority's JWKS…");
  if (!dialog.open) dialog.showModal();
  const answer = await api("/api/inspect-token", { method: "POST", body: { token } });
  if (!answer.ok) { body.replaceChildren(el("p", { className: "verdict-bad" }, errorText(answer))); return; }
  const r = answer.body;
  body.replaceChildren(
    el("p", { className: r.verifies ? "verdict-ok" : "verdict-bad", id: "token-verdict" }, r.verifies ? `Verifies against the JWKS (key ${r.header.kid})${r.expired ? ", but has expired by the emulator's clock" : ""}.` : `Does not verify: ${r.reason}.`),
    el("h3", {}, "Header"), claimsTable(r.header),
    el("h3", {}, "Claims"), claimsTable(r.claims));
}

// ---- start -----------------------------------------------------------------------------------

async function start() {
  const answer = await api("/api/context");
  if (!answer.ok) { status(errorText(answer)); return; }
  context = answer.body;
  document.getElementById("check-access").addEventListener("submit", (e) => checkAccess(e).catch((err) => status(err.message)));
  document.getElementById("act-vm").addEventListener("submit", (e) => createVm(e).catch((err) => status(err.message)));
  document.getElementById("act-site").addEventListener("submit", (e) => createSite(e).catch((err) => status(err.message)));
  document.getElementById("act-uami").addEventListener("submit", (e) => attachIdentity(e).catch((err) => status(err.message)));
  document.getElementById("act-grant").addEventListener("submit", (e) => grantRole(e).catch((err) => status(err.message)));
  document.getElementById("act-token").addEventListener("submit", (e) => askToken(e).catch((err) => status(err.message)));
  document.getElementById("act-clock").addEventListener("submit", (e) => advanceClock(e).catch((err) => status(err.message)));
  document.getElementById("act-fault").addEventListener("submit", (e) => injectFault(e).catch((err) => status(err.message)));
  document.getElementById("flow-clear").addEventListener("click", () => flowList().replaceChildren());
  document.getElementById("flow-filter").addEventListener("input", applyFilter);
  for (const button of document.querySelectorAll("[data-refresh]")) button.addEventListener("click", () => route());
  window.addEventListener("hashchange", route);
  connectFlow();
  route();
}

start().catch((err) => status(err.message));
