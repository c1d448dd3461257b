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

  // The checkpoint page hands over what the phone needs later: its token for uploads, its ward, and the
  // checkpoints of its jurisdiction with the places each guards (its ward and zone), cached with the keys.
  var config = document.getElementById("checkpoint-config");
  if (config) {
    var serverDay = Date.parse(config.getAttribute("data-today") + "T00:00:00Z"), phoneDay = Date.parse(new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10) + "T00:00:00Z");
    var pointSelect = document.getElementById("check-point"), previous = read(CONFIG, {}) || {};
    var points = pointSelect ? Array.prototype.map.call(pointSelect.options, function (o) {
      return { id: o.value, name: o.textContent, zones: (o.getAttribute("data-zones") || "").split(",").filter(Boolean) };
    }) : [];
    var chosen = points.some(function (p) { return p.id === previous.checkpoint; }) ? previous.checkpoint : (pointSelect ? pointSelect.value : "");
    if (pointSelect && chosen) pointSelect.value = chosen;
    write(CONFIG, { csrf: config.getAttribute("data-csrf"), unit: config.getAttribute("data-unit"), officer: config.getAttribute("data-officer"),
                    offsetDays: isNaN(serverDay) ? 0 : Math.round((serverDay - phoneDay) / 86400000), checkpoints: points, checkpoint: chosen || "" });
    if (pointSelect) pointSelect.addEventListener("change", function () { choose(pointSelect.value); });
    fetch("/api/v1/movement/revocations", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && body.revoked) write(REVOKED, { ids: body.revoked, at: body.generated_at || "" }); }).catch(function () {});
  }

  function choose(id) { var cfg = read(CONFIG, null); if (cfg) { cfg.checkpoint = id || ""; write(CONFIG, cfg); } }
  // The checkpoint the officer said they stand at (none: their own ward).
  function standing(cfg) {
    var list = (cfg && cfg.checkpoints) || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === cfg.checkpoint) return list[i];
    return null;
  }

  // The checkpoint page scans with the camera where the browser reads QR codes itself (qr-scan.js,
  // loaded by that page only); typing stays.
  if (document.getElementById("check-scan") && window.EpiScan) {
    EpiScan.attach(document.getElementById("check-scan"), document.getElementById("check-video"), function (code) {
      document.getElementById("check-code").value = code;
      document.getElementById("check-form").submit();
    }, function () {
      var error = document.getElementById("check-camera-error");
      if (error) { error.textContent = error.getAttribute("data-text"); error.hidden = false; }
    });
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

  // On the offline verifier: which of the cached checkpoints the officer stands at.
  var verifier = document.getElementById("verify-result"), cached = read(CONFIG, null);
  if (verifier && cached && cached.checkpoints && cached.checkpoints.length && !document.getElementById("permit-checkpoint")) {
    var words0 = {};
    try { words0 = JSON.parse(document.getElementById("verifier-words").textContent) || {}; } catch (e) { /* labels fall back to codes */ }
    var label = document.createElement("label"), select = document.createElement("select");
    label.textContent = words0.permit_checkpoint || "Checkpoint";
    select.id = "permit-checkpoint";
    var own = document.createElement("option");
    own.value = ""; own.textContent = words0.permit_own_ward || cached.unit || "";
    select.appendChild(own);
    cached.checkpoints.forEach(function (p) { var o = document.createElement("option"); o.value = p.id; o.textContent = p.name; select.appendChild(o); });
    select.value = standing(cached) ? cached.checkpoint : "";
    select.addEventListener("change", function () { choose(select.value); });
    label.appendChild(select);
    verifier.parentNode.insertBefore(label, verifier);
  }
  EpiVerify.renderers.permit = function (result, lang, words) {
    var d = result.document, get = function (k) { return d instanceof Map ? d.get(k) : d && d[k]; };
    var doc = { id: get("id"), number: get("no"), name: get("name"), cccd: get("cccd"), group: get("grp"), zones: get("zones"), route: get("route"),
                from: get("from"), to: get("to"), days: get("days") };
    var cfg = read(CONFIG, null), point = standing(cfg);
    // "Wrong zone" is judged by the checkpoint chosen (its ward and zone), as the server does; else the officer's ward.
    var zones = point && point.zones.length ? point.zones : (cfg && cfg.unit ? [cfg.unit] : []);
    // The signature was good (the core renders only then); the dates are judged on the server's day.
    var v = verdict(doc, today(), zones);
    if (cfg && cfg.csrf) {
      var queue = read(QUEUE, []);
      var check = { id: uuid(), number: doc.number || "", result: v === "valid" || words["permit_" + v] ? v : "invalid", direction: "out", checked_at: now().toISOString() };
      if (point) check.checkpoint_id = point.id;
      queue.push(check);
      write(QUEUE, queue);
      setTimeout(upload, 0);
    }
    var ok = v === "valid";
    result.verdict = { ok: ok, text: words["permit_" + v] || v };  // the page's headline (verify-page.js)
    return "<p class=\"verdict " + (ok ? "ok" : "error") + "\" id=\"permit-verdict\" data-verdict=\"" + esc(v) + "\">" + esc(words["permit_" + v] || v) + "</p>" +
      "<dl class=\"details\"><dt>" + esc(words.permit_holder) + "</dt><dd>" + esc(doc.name) + " · " + esc(doc.cccd) + "</dd>" +
      "<dt>" + esc(words.permit_number) + "</dt><dd>" + esc(doc.number) + "</dd>" +
      "<dt>" + esc(words.permit_dates) + "</dt><dd>" + esc(doc.from) + " – " + esc(doc.to) + (doc.days ? " (" + esc(doc.days) + ")" : "") + "</dd>" +
      (doc.zones ? "<dt>" + esc(words.permit_zones) + "</dt><dd>" + esc(doc.zones) + "</dd>" : "") + "</dl>" +
      "<p class=\"muted small\" id=\"queue-status\" data-queued=\"" + read(QUEUE, []).length + "\"></p>";
  };
})();
