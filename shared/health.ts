// The control API's health check (contract: "Operating the emulator"): every service answers
// GET {service}/emulator/health with 200 {"status":"ok"}, without authentication, so scripts and
// load balancers can tell a started emulator from a starting one.
export const HEALTH_PATH = "/emulator/health";

export function healthResponse(): Response {
  return new Response(JSON.stringify({ status: "ok" }), {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}
