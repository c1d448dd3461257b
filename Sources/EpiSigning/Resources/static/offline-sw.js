// Keeps the pages that must work with no network (the code verifier, a checkpoint's scanner) and the
// data they need (trust list, revocation lists) on the device. Network first, so an online phone
// always has today's lists; the kept copy answers only when the network does not. Nothing else is
// touched: other pages (people's records) are never stored on the device.
var CACHE = "epi-offline-v1";
var CORE = ["/verify", "/static/verify-core.js", "/static/qr-scan.js", "/static/verify-page.js", "/static/app.css", "/api/v1/certificates/trust-list"];

function offlineWorthy(url) {
  if (url.origin !== self.location.origin) return false;
  var p = url.pathname;
  return p === "/verify" || p.indexOf("/offline/") === 0 || p.indexOf("/api/v1/offline/") === 0 ||
         p.indexOf("/static/") === 0 || p === "/api/v1/certificates/trust-list";
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(CORE); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// A page names extra files it needs offline (its plug-ins, its own page): {cache: ["/offline/checkpoint", …]}.
self.addEventListener("message", function (event) {
  var urls = (event.data && event.data.cache) || [];
  urls = urls.filter(function (u) { try { return offlineWorthy(new URL(u, self.location.origin)); } catch (e) { return false; } });
  if (urls.length) event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(urls); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (!offlineWorthy(url)) return;
  var key = url.origin + url.pathname;  // one copy per page, whatever its query
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(key); }).then(function (kept) {
      if (!kept) return new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
      // Mark the kept copy, so a page can tell "today's list" from "the list kept on this phone".
      var headers = new Headers(kept.headers);
      headers.set("X-Epi-Offline", "1");
      return kept.blob().then(function (body) { return new Response(body, { status: kept.status, headers: headers }); });
    });
  }));
});
