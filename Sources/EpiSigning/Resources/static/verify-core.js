// EpiCommand's offline verifier core: reads a signed code (EU DCC "HC1:", permit "VNP1:", health
// declaration "VNH1:") and checks it against the trust list with no server round trip:
// Base45 -> zlib (DecompressionStream) -> COSE_Sign1 (CBOR) -> ECDSA P-256 / SHA-256 (WebCrypto).
// Capabilities add renderers for their documents in static files named verify-<name>.js:
//   EpiVerify.renderers.permit = function (result, lang) { return "<dl>…</dl>"; };
// Plain ES5-style script with no dependencies, so it runs on the phones checkpoints use.
var EpiVerify = (function () {
  "use strict";
  var PREFIXES = { "HC1:": "vaccination", "VNP1:": "permit", "VNH1:": "declaration" };
  var DOCUMENT_CLAIM = -70001;
  var TRUST_KEY = "epi.trustList";
  var ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

  function fail(status, detail) { var e = new Error(detail || status); e.status = status; return e; }

  function base45(text) {
    var out = [];
    for (var i = 0; i < text.length; i += 3) {
      var chunk = text.substr(i, 3), n = 0, f = 1;
      for (var j = 0; j < chunk.length; j++) {
        var v = ALPHABET.indexOf(chunk[j]);
        if (v < 0) throw fail("malformed", "base45");
        n += v * f; f *= 45;
      }
      if (chunk.length === 3) { if (n > 0xffff) throw fail("malformed", "base45"); out.push(n >> 8, n & 0xff); }
      else if (chunk.length === 2) { if (n > 0xff) throw fail("malformed", "base45"); out.push(n); }
      else throw fail("malformed", "base45");
    }
    return new Uint8Array(out);
  }

  function inflate(bytes) {
    if (typeof DecompressionStream === "undefined") return Promise.reject(fail("unsupported", "DecompressionStream"));
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (b) { return new Uint8Array(b); }, function () { throw fail("malformed", "zlib"); });
  }

  // CBOR (RFC 8949): maps become Map (keys may be integers), byte strings Uint8Array, tags {tag, value}.
  function cbor(bytes) {
    var pos = 0, depth = 0;
    function need(n) { if (pos + n > bytes.length) throw fail("malformed", "cbor"); }
    function uint(info) {
      if (info < 24) return info;
      var n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1;
      if (n < 0) throw fail("malformed", "cbor");
      need(n);
      var v = 0;
      for (var i = 0; i < n; i++) v = v * 256 + bytes[pos++];
      return v;
    }
    function item() {
      if (++depth > 16) throw fail("malformed", "cbor depth");
      need(1);
      var head = bytes[pos++], major = head >> 5, info = head & 31, v, i, out;
      if (info === 31) throw fail("malformed", "indefinite");
      if (major === 7) {
        if (info === 20) v = false; else if (info === 21) v = true; else if (info === 22) v = null; else if (info === 23) v = undefined;
        else if (info === 25) { need(2); var h = (bytes[pos] << 8) | bytes[pos + 1]; pos += 2; v = half(h); }
        else if (info === 26) { need(4); v = new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getFloat32(0); pos += 4; }
        else if (info === 27) { need(8); v = new DataView(bytes.buffer, bytes.byteOffset + pos, 8).getFloat64(0); pos += 8; }
        else v = uint(info);
        depth--; return v;
      }
      var n = uint(info);
      switch (major) {
        case 0: v = n; break;
        case 1: v = -1 - n; break;
        case 2: need(n); v = bytes.slice(pos, pos + n); pos += n; break;
        case 3: need(n); v = new TextDecoder("utf-8", { fatal: true }).decode(bytes.slice(pos, pos + n)); pos += n; break;
        case 4: if (n > 10000) throw fail("malformed", "cbor size"); out = []; for (i = 0; i < n; i++) out.push(item()); v = out; break;
        case 5: if (n > 10000) throw fail("malformed", "cbor size"); out = new Map(); for (i = 0; i < n; i++) { var k = item(); out.set(k, item()); } v = out; break;
        case 6: v = { tag: n, value: item() }; break;
      }
      depth--; return v;
    }
    function half(h) {
      var e = (h >> 10) & 31, m = h & 1023, s = h >> 15 ? -1 : 1;
      return e === 0 ? s * Math.pow(2, -14) * (m / 1024) : e === 31 ? (m ? NaN : s * Infinity) : s * Math.pow(2, e - 15) * (1 + m / 1024);
    }
    var value = item();
    if (pos !== bytes.length) throw fail("malformed", "trailing bytes");
    return value;
  }

  function head(major, n) {
    if (n < 24) return [major << 5 | n];
    if (n < 256) return [major << 5 | 24, n];
    if (n < 65536) return [major << 5 | 25, n >> 8, n & 255];
    return [major << 5 | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  // Sig_structure = ["Signature1", protected, external_aad (empty), payload], CBOR-encoded (RFC 9052 §4.4).
  function sigStructure(protectedBytes, payload) {
    var parts = [[0x84], head(3, 10), Array.from(new TextEncoder().encode("Signature1")),
                 head(2, protectedBytes.length), Array.from(protectedBytes), head(2, 0), head(2, payload.length), Array.from(payload)];
    var out = []; parts.forEach(function (p) { for (var i = 0; i < p.length; i++) out.push(p[i]); });
    return new Uint8Array(out);
  }

  function hex(bytes) { return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join(""); }

  function keyFor(trust, kid, purpose) {
    var id = hex(kid);
    for (var i = 0; i < trust.keys.length; i++) {
      var k = trust.keys[i];
      if (k.kid_hex === id && k.purpose === purpose) return k;
    }
    return null;
  }

  /// Verifies a code; resolves to {status, purpose, kid, issuedAt, expiresAt, claims, document}.
  /// status: valid | expired | not_yet_valid | bad_signature | unknown_key | malformed | unknown_prefix | unsupported
  function verify(text, trust, now) {
    var code = String(text || "").trim(), prefix = null, purpose = null;
    Object.keys(PREFIXES).forEach(function (p) { if (code.indexOf(p) === 0) { prefix = p; purpose = PREFIXES[p]; } });
    var result = { status: "malformed", purpose: purpose };
    if (!prefix) { result.status = "unknown_prefix"; return Promise.resolve(result); }
    if (code.length > 4400) return Promise.resolve(result);
    var message;
    return Promise.resolve().then(function () { return inflate(base45(code.slice(prefix.length))); }).then(function (cose) {
      message = cbor(cose);
      if (message && message.tag === 61) message = message.value;
      if (message && message.tag === 18) message = message.value;
      if (!Array.isArray(message) || message.length !== 4) throw fail("malformed", "cose");
      var protectedBytes = message[0], unprotected = message[1], payload = message[2], signature = message[3];
      if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) throw fail("malformed", "cose");
      var header = protectedBytes.length ? cbor(protectedBytes) : new Map();
      if (!(header instanceof Map) || header.get(1) !== -7) throw fail("unsupported", "algorithm");
      var kid = header.get(4) || (unprotected instanceof Map ? unprotected.get(4) : null);
      if (!(kid instanceof Uint8Array)) throw fail("unknown_key", "no kid");
      result.kid = hex(kid);
      var key = keyFor(trust, kid, purpose);
      if (!key) throw fail("unknown_key", result.kid);
      return crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: key.jwk.x, y: key.jwk.y, ext: true }, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"])
        .then(function (k) { return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, k, signature, sigStructure(protectedBytes, payload)); })
        .then(function (ok) {
          if (!ok) throw fail("bad_signature");
          var claims = cbor(payload);
          if (!(claims instanceof Map)) throw fail("malformed", "claims");
          result.claims = claims;
          result.issuedAt = claims.get(6) ? new Date(claims.get(6) * 1000) : null;
          result.expiresAt = claims.get(4) ? new Date(claims.get(4) * 1000) : null;
          result.document = purpose === "vaccination" ? (claims.get(-260) instanceof Map ? claims.get(-260).get(1) : null) : claims.get(DOCUMENT_CLAIM);
          var t = (now || new Date()).getTime();
          if (result.issuedAt && t + 300000 < result.issuedAt.getTime()) result.status = "not_yet_valid";
          else if (result.expiresAt && t > result.expiresAt.getTime()) result.status = "expired";
          else result.status = "valid";
          return result;
        });
    }).catch(function (e) { result.status = e && e.status ? e.status : "malformed"; return result; });
  }

  /// The trust list: from the server when online (and kept), else the last copy kept on this device.
  function trustList() {
    return fetch("/api/v1/certificates/trust-list", { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("trust list " + r.status);
      // The service worker's kept copy is not news: fall back to this device's own record of when it was fetched.
      if (r.headers.get("X-Epi-Offline")) throw new Error("offline");
      return r.json();
    }).then(function (list) {
      list.fetched_at = new Date().toISOString();
      try { localStorage.setItem(TRUST_KEY, JSON.stringify(list)); } catch (e) { /* storage full: still usable now */ }
      list.offline = false;
      return list;
    }).catch(function () {
      var kept = null;
      try { kept = JSON.parse(localStorage.getItem(TRUST_KEY) || "null"); } catch (e) { kept = null; }
      if (!kept) throw fail("no_trust_list");
      kept.offline = true;
      return kept;
    });
  }

  /// How far the deployment's data clock runs from the real one (zero in service; a demo runs on a day of
  /// 2021), from the trust list's two readings of one moment: codes are judged by that clock, as on the server.
  function clockOffset(list) {
    var data = Date.parse(list && list.clock), real = Date.parse(list && list.generated_at);
    return isNaN(data) || isNaN(real) ? 0 : data - real;
  }

  /// A document field (text keys) of a Map or plain object.
  function field(doc, name) { return doc instanceof Map ? doc.get(name) : doc ? doc[name] : undefined; }

  return { verify: verify, trustList: trustList, clockOffset: clockOffset, base45: base45, inflate: inflate, cbor: cbor, field: field, renderers: {} };
})();
