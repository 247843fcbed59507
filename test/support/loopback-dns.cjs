// Preloaded (NODE_OPTIONS=--require) by the edge rehearsal (test/edge/): host names ending in
// MIE_LOOPBACK_DNS_SUFFIX (e.g. ".mie-ci.workers.dev") resolve to 127.0.0.1, so the unmodified SDKs
// reach the deployment's workers.dev URLs on loopback without a hosts file. Every other name
// resolves as usual.
const dns = require("node:dns");
const suffix = (process.env.MIE_LOOPBACK_DNS_SUFFIX || "").toLowerCase();
if (suffix) {
  const original = dns.lookup;
  dns.lookup = function lookup(hostname, options, callback) {
    if (typeof options === "function") {
      callback = options;
      options = {};
    }
    if (typeof hostname === "string" && hostname.toLowerCase().endsWith(suffix)) {
      const all = typeof options === "object" && options !== null && options.all;
      process.nextTick(() => (all ? callback(null, [{ address: "127.0.0.1", family: 4 }]) : callback(null, "127.0.0.1", 4)));
      return {};
    }
    return original.call(this, hostname, options, callback);
  };
}
