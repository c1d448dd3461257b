// Travel permits on the offline verifier (/verify) and the checkpoint page (/movement/check).
// The signature is checked by verify-core.js; this plug-in adds what a checkpoint decides with no
// network: the revocation list kept on the phone, the permit's dates, market days and zones against
// the checkpoint the officer stands at, and a queue of checks (localStorage) uploaded to
// /api/v1/movement/checks/batch once the network is back. Each queued check carries a UUID made on
// the phone, so an upload repeated after a lost answer stores nothing twice.
(function () {
  "use strict";
  var CONFIG = "epi.checkpoint", REVOKED = "epi.permitRevocations", QUEUE = "epi.checkQueue";

  function read(key, fallback) { try { var v = JSON.parse(localStorage.getItem(key)); return v == null ? fallback : v; } catch (e) { return fallback; } }
  function write(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full or disabled: the check still shows */ } }
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b); b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  // The server's day minus the phone's, in days: zero in service; a demo database runs on a simulated
  // day of September 2021, and the phone judges permits by that day too.
  function offsetMs() { var cfg = read(CONFIG, null); return cfg && cfg.offsetDays ? cfg.offsetDays * 86400000 : 0; }
  function now() { return new Date(Date.now() + offsetMs()); }
  // Today in Vietnam (UTC+7), as yyyy-mm-dd, whatever the phone's zone.
  function today() { return new Date(now().getTime() + 7 * 3600 * 1000).toISOString().slice(0, 10); }

  // The checkpoint page hands over what the phone needs later: its token for uploads and where it stands.
  var config = document.getElementById("checkpoint-config");
  if (config) {
    var serverDay = Date.parse(config.getAttribute("data-today") + "T00:00:00Z"), phoneDay = Date.parse(new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10) + "T00:00:00Z");
    write(CONFIG, { csrf: config.getAttribute("data-csrf"), unit: config.getAttribute("data-unit"), officer: config.getAttribute("data-officer"),
                    offsetDays: isNaN(serverDay) ? 0 : Math.round((serverDay - phoneDay) / 86400000) });
    fetch("/api/v1/movement/revocations", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && body.revoked) write(REVOKED, { ids: body.revoked, at: body.generated_at || "" }); }).catch(function () {});
  }

  /// The same rule as EpiCore's PermitTerms.verdict: revocation, then dates, then market days, then place.
  function verdict(doc, day, zones) {
    var revoked = read(REVOKED, { ids: [] }).ids || [];
    if (revoked.indexOf(doc.id) >= 0) return "revoked";
    if (doc.from && day < doc.from) return "not_yet_valid";
    if (doc.to && day > doc.to) return "expired";
    var days = (doc.days || "").split(",").filter(Boolean);
    if (days.length && days.indexOf(day) < 0) return "wrong_day";
    var allowed = (doc.zones || "").split(",").filter(Boolean);
    if (allowed.length && zones.length) {
      var inside = allowed.some(function (z) { return zones.some(function (c) { return c === z || c.indexOf(z + "/") === 0; }); });
      if (!inside) return "wrong_zone";
    }
    return "valid";
  }

  var uploading = false;
  function upload() {
    var cfg = read(CONFIG, null), queue = read(QUEUE, []);
    if (uploading || !cfg || !cfg.csrf || !queue.length || navigator.onLine === false) return;
    uploading = true;
    var batch = queue.slice(0, 500);
    fetch("/api/v1/movement/checks/batch", { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": cfg.csrf }, body: JSON.stringify({ checks: batch }) })
      .then(function (r) {
        if (!r.ok) return;
        var sent = batch.map(function (c) { return c.id; });
        write(QUEUE, read(QUEUE, []).filter(function (c) { return sent.indexOf(c.id) < 0; }));
        var status = document.getElementById("queue-status");
        if (status) status.setAttribute("data-queued", String(read(QUEUE, []).length));
      }).catch(function () {}).then(function () { uploading = false; });
  }
  window.addEventListener("online", upload);
  setTimeout(upload, 500);

  if (typeof EpiVerify === "undefined") return;
  EpiVerify.renderers.permit = function (result, lang, words) {
    var d = result.document, get = function (k) { return d instanceof Map ? d.get(k) : d && d[k]; };
    var doc = { id: get("id"), number: get("no"), name: get("name"), cccd: get("cccd"), group: get("grp"), zones: get("zones"), route: get("route"),
                from: get("from"), to: get("to"), days: get("days") };
    var cfg = read(CONFIG, null), zones = cfg && cfg.unit ? [cfg.unit] : [];
    // The signature was good (the core renders only then); the dates are judged on the server's day.
    var v = verdict(doc, today(), zones);
    if (cfg && cfg.csrf) {
      var queue = read(QUEUE, []);
      queue.push({ id: uuid(), number: doc.number || "", result: v === "valid" || words["permit_" + v] ? v : "invalid", direction: "out", checked_at: now().toISOString() });
      write(QUEUE, queue);
      setTimeout(upload, 0);
    }
    var ok = v === "valid";
    return "<p class=\"verdict " + (ok ? "ok" : "error") + "\" id=\"permit-verdict\" data-verdict=\"" + esc(v) + "\">" + esc(words["permit_" + v] || v) + "</p>" +
      "<dl class=\"details\"><dt>" + esc(words.permit_holder) + "</dt><dd>" + esc(doc.name) + " · " + esc(doc.cccd) + "</dd>" +
      "<dt>" + esc(words.permit_number) + "</dt><dd>" + esc(doc.number) + "</dd>" +
      "<dt>" + esc(words.permit_dates) + "</dt><dd>" + esc(doc.from) + " – " + esc(doc.to) + (doc.days ? " (" + esc(doc.days) + ")" : "") + "</dd>" +
      (doc.zones ? "<dt>" + esc(words.permit_zones) + "</dt><dd>" + esc(doc.zones) + "</dd>" : "") + "</dl>" +
      "<p class=\"muted small\" id=\"queue-status\" data-queued=\"" + read(QUEUE, []).length + "\"></p>";
  };
})();
