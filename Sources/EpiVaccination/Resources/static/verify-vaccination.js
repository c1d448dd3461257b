// Vaccination plugin of the offline verifier: shows a certificate's holder and dose, and marks a
// certificate revoked when its UVCI is in the revocation list as of the last sync (kept on the device).
(function () {
  "use strict";
  if (!window.EpiVerify) return;
  var KEY = "epi-revocations";
  var revoked = null;

  function kept() { try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { return null; } }

  /// The revocation list: from the server when online (and kept), else the last copy kept here.
  function sync() {
    return fetch("/api/v1/certificates/revocations", { cache: "no-store" }).then(function (r) {
      if (!r.ok || r.headers.get("X-Epi-Offline")) throw new Error("offline");
      return r.json();
    }).then(function (list) {
      var value = { revoked: list.revoked || [], fetched_at: new Date().toISOString() };
      try { localStorage.setItem(KEY, JSON.stringify(value)); } catch (e) { /* storage full: still usable now */ }
      return value;
    }).catch(function () { return kept() || { revoked: [], fetched_at: null }; });
  }
  var ready = sync().then(function (v) { revoked = v; return v; });

  function ddmmyyyy(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ""));
    return m ? m[3] + "/" + m[2] + "/" + m[1] : String(iso || "");
  }
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function get(m, k) { return m instanceof Map ? m.get(k) : m ? m[k] : undefined; }

  var verify = EpiVerify.verify;
  EpiVerify.verify = function (text, trust, now) {
    return Promise.all([verify(text, trust, now), ready]).then(function (both) {
      var result = both[0], list = both[1];
      if (result.purpose !== "vaccination" || !result.document) return result;
      var v = get(result.document, "v"), ci = v && v.length ? get(v[0], "ci") : null;
      result.revocationsAsOf = list.fetched_at;
      if (ci && list.revoked.indexOf(ci) >= 0 && (result.status === "valid" || result.status === "expired")) result.status = "revoked";
      return result;
    });
  };

  EpiVerify.renderers.vaccination = function (result, lang) {
    var doc = result.document, nam = get(doc, "nam"), v = get(doc, "v"), dose = v && v.length ? v[0] : null;
    var en = lang === "en";
    var name = [get(nam, "fn"), get(nam, "gn")].filter(Boolean).join(" ") || [get(nam, "fnt"), get(nam, "gnt")].filter(Boolean).join(" ");
    var rows = [[en ? "Name" : "Họ và tên", name], [en ? "Date of birth" : "Ngày sinh", ddmmyyyy(get(doc, "dob"))]];
    if (dose) {
      rows.push([en ? "Dose" : "Mũi", get(dose, "dn") + "/" + get(dose, "sd")]);
      rows.push([en ? "Date given" : "Ngày tiêm", ddmmyyyy(get(dose, "dt"))]);
      rows.push([en ? "Vaccine" : "Vắc xin", get(dose, "mp")]);
      rows.push([en ? "Certificate id" : "Mã chứng nhận", get(dose, "ci")]);
    }
    var html = "<dl class=\"details\" id=\"holder\">" + rows.map(function (r) { return "<dt>" + esc(r[0]) + "</dt><dd>" + esc(r[1]) + "</dd>"; }).join("") + "</dl>";
    html += "<p class=\"muted small\" id=\"revocations-as-of\">" + esc(en ? "Revocations as of " : "Danh sách thu hồi cập nhật lúc ") +
      esc(result.revocationsAsOf ? ddmmyyyy(result.revocationsAsOf.slice(0, 10)) + " " + result.revocationsAsOf.slice(11, 16) + " UTC" : (en ? "never (no network yet)" : "chưa có (chưa có mạng)")) + "</p>";
    html += "<p class=\"muted small\">" + esc(en ? "Compare with the identity document." : "Đối chiếu với giấy tờ tùy thân.") + "</p>";
    return html;
  };
})();
