// The public verifier page: paste or scan a code, see whether it is valid, offline once opened.
(function () {
  "use strict";
  var root = document.getElementById("verifier");
  if (!root) return;
  var lang = document.documentElement.lang === "en" ? "en" : "vi";
  var words = JSON.parse(document.getElementById("verifier-words").textContent);
  var input = document.getElementById("code-input");
  var out = document.getElementById("verify-result");
  var trustInfo = document.getElementById("trust-info");
  var trust = null;

  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function day(d) { return d ? ("0" + d.getDate()).slice(-2) + "/" + ("0" + (d.getMonth() + 1)).slice(-2) + "/" + d.getFullYear() + " " + ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) : ""; }

  function generic(result) {
    var doc = result.document, rows = [];
    if (doc instanceof Map) doc.forEach(function (v, k) { if (typeof v !== "object") rows.push("<dt>" + esc(k) + "</dt><dd>" + esc(v) + "</dd>"); });
    return rows.length ? "<dl class=\"details\">" + rows.join("") + "</dl>" : "";
  }

  function show(result) {
    var status = result.status, body = "";
    if (status === "valid" || status === "expired" || status === "not_yet_valid" || status === "revoked") {
      var render = EpiVerify.renderers[result.purpose];
      try { body = render ? render(result, lang, words) : generic(result); } catch (e) { body = generic(result); }
    }
    var ok = status === "valid", label = words["status_" + status] || words.status_malformed;
    // A genuine code whose document says otherwise (a permit shown at the wrong checkpoint, or on a day it
    // does not cover) is headed by the document's verdict: the officer reads one answer, not "valid" over a refusal.
    if (ok && result.verdict && result.verdict.text) { ok = !!result.verdict.ok; label = result.verdict.text; }
    var html = "<p class=\"verdict " + (ok ? "ok" : "error") + "\" id=\"verdict\" data-status=\"" + esc(status) + "\">" + esc(label) + "</p>";
    if (result.purpose) html += "<p class=\"muted\">" + esc(words["purpose_" + result.purpose] || "") + "</p>";
    if (result.expiresAt) html += "<p>" + esc(words.valid_until) + " " + esc(day(result.expiresAt)) + "</p>";
    out.innerHTML = html + body;
  }

  function check() {
    var code = input.value;
    if (!code.trim()) return;
    var ready = trust ? Promise.resolve(trust) : EpiVerify.trustList().then(function (t) { trust = t; return t; });
    // Our own codes (permits, declarations) carry dates of the deployment's data clock and are judged by
    // it, as the server judges them; EU certificates carry real dates, judged by the real clock as every
    // verifier does.
    ready.then(function (t) { return EpiVerify.verify(code, t, new Date(Date.now() + (/^\s*HC1:/.test(code) ? 0 : EpiVerify.clockOffset(t)))); }, function () { return { status: "no_trust_list" }; }).then(show);
  }

  EpiVerify.trustList().then(function (t) {
    trust = t;
    trustInfo.textContent = (t.offline ? words.trust_offline : words.trust_online) + " " + (t.keys ? t.keys.length : 0) + " · " + day(new Date(t.fetched_at));
  }, function () { trustInfo.textContent = words.trust_missing; });

  document.getElementById("verify-button").addEventListener("click", check);
  input.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); check(); } });

  // The camera, where the browser can read QR codes itself (qr-scan.js).
  EpiScan.attach(document.getElementById("scan-button"), document.getElementById("scan-video"),
                 function (code) { input.value = code; check(); }, function () { trustInfo.textContent = words.camera_denied; });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/offline-sw.js").then(function () { return navigator.serviceWorker.ready; }).then(function (reg) {
      var extra = Array.prototype.map.call(document.querySelectorAll("script[data-plugin]"), function (s) { return s.getAttribute("src"); });
      if (reg.active) reg.active.postMessage({ cache: ["/verify"].concat(extra) });
    }).catch(function () { /* offline use needs a secure origin; online checks still work */ });
  }
})();
