// Keeps each room page a guest has opened, so the door code is still there with no signal at the
// door. Served as /room/service-worker.js: its scope is the room pages, nothing else.
//
// Why a copy is acceptable although the page is sent with Cache-Control: no-store and
// Referrer-Policy: no-referrer: those headers keep the page's address, which is a key, out of
// shared caches, proxies and other sites' logs. Cache Storage is none of those: it is on the
// guest's own phone, in this site's storage, read only by this worker, and it holds no more than
// the guest's browser already showed them. The copy is deleted after check-out time (the page's
// data-keep-until), as soon as the server says the page is gone (404 or 410: revoked or
// cancelled), and with the rest of the site's data when the guest clears it.
"use strict";

var CACHE = "room-pages-v1";
var SCOPE = new URL("./", self.location).pathname;  // "/room/"
var ASSETS = ["../static/style.css", "../static/room.js"].map(function (path) {
  return new URL(path, self.location).pathname;
});
// With one bar of signal, wait this long for the network before showing the copy.
var NETWORK_WAIT_MS = 4000;
var KEEP_UNTIL = /data-keep-until="([0-9]+)"/;

self.addEventListener("install", function (event) {
  event.waitUntil(keepAssets().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(forgetExpired(false).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && isRoomPage(url)) {
    event.respondWith(networkFirst(event, request, pageKey(url), true));
  } else if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(networkFirst(event, request, url.pathname, false));
  }
});

// The page asks to be kept on its first visit, before this worker controlled it.
self.addEventListener("message", function (event) {
  var url = event.data && event.data.keep ? new URL(event.data.keep) : null;
  if (!url || url.origin !== self.location.origin || !isRoomPage(url)) { return; }
  event.waitUntil(
    fetch(url.href, { credentials: "same-origin" })
      .then(function (response) { return remember(pageKey(url), response, true); })
      .then(function (kept) { return kept && keepAssets().then(function () { return kept; }); })
      .then(function (kept) { if (kept && event.source) { event.source.postMessage({ kept: url.href }); } })
      .catch(function () { /* offline already: nothing to keep */ })
  );
});

function isRoomPage(url) {
  var rest = url.pathname.slice(SCOPE.length);
  return url.pathname.indexOf(SCOPE) === 0 && rest.length > 0 && rest.indexOf("/") === -1 &&
    rest !== "service-worker.js" && rest !== "manifest.webmanifest";
}

function pageKey(url) {
  return url.origin + url.pathname;  // ?lang=... and #... are the same page
}

function networkFirst(event, request, key, isPage) {
  var network = fetch(request).then(function (response) {
    return remember(key, response.clone(), isPage).then(function () {
      // A server in trouble (502 from the proxy...) still leaves the guest their code.
      return response.status >= 500 ? copyOf(key).then(function (copy) { return copy || response; }) : response;
    });
  });
  event.waitUntil(network.catch(function () {}));  // the copy is refreshed even if it was shown first
  var slowNetwork = new Promise(function (resolve) { setTimeout(resolve, NETWORK_WAIT_MS); })
    .then(function () { return copyOf(key); })
    .then(function (copy) { return copy || network; });
  return Promise.race([network, slowNetwork]).catch(function () {
    return copyOf(key).then(function (copy) { return copy || Response.error(); });
  });
}

// Store a good answer; a page the server no longer serves is forgotten at once.
function remember(key, response, isPage) {
  return caches.open(CACHE).then(function (cache) {
    if (isPage && (response.status === 404 || response.status === 410)) {
      return cache.delete(key).then(function () { return forgetExpired(true); }).then(function () { return false; });
    }
    if (!response.ok || response.type !== "basic") { return false; }
    if (!isPage) { return cache.put(key, response).then(function () { return true; }); }
    return response.text().then(function (body) {
      var match = KEEP_UNTIL.exec(body);
      if (!match) { return false; }
      var headers = new Headers(response.headers);
      headers.set("X-Keep-Until", match[1]);
      var copy = new Response(body, { status: response.status, statusText: response.statusText, headers: headers });
      return cache.put(key, copy).then(function () { return true; });
    });
  });
}

function copyOf(key) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(key).then(function (copy) {
      if (copy && isExpired(copy)) {
        return cache.delete(key).then(function () { return forgetExpired(true); }).then(function () { return undefined; });
      }
      return copy;
    });
  });
}

function isExpired(response) {
  var until = Number(response.headers.get("X-Keep-Until"));
  return until > 0 && Date.now() >= until;
}

// The stylesheet and script, so the kept page looks and works the same without signal.
function keepAssets() {
  return caches.open(CACHE).then(function (cache) {
    return Promise.all(ASSETS.map(function (path) {
      return cache.match(path).then(function (hit) { return hit || cache.add(path); });
    }));
  });
}

// Delete pages past check-out. Once the last page is gone, delete the stylesheet and script too.
function forgetExpired(pageDropped) {
  return caches.open(CACHE).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.map(function (request) {
        return cache.match(request).then(function (response) {
          if (!response.headers.get("X-Keep-Until")) { return "asset"; }
          if (!isExpired(response)) { return "page"; }
          return cache.delete(request).then(function () { return "dropped"; });
        });
      }));
    });
  }).then(function (kinds) {
    var dropped = pageDropped === true || kinds.indexOf("dropped") !== -1;
    if (dropped && kinds.indexOf("page") === -1) { return caches.delete(CACHE); }
  });
}
