// Floorboard's service worker: keeps the app shell on the device so a tablet in a Wi-Fi
// dead zone can reload the page and still reach its outbox. Network first, so a new
// release is picked up whenever the server is reachable; the API and the websocket are
// never cached.
const CACHE = "floorboard-shell-v1";
const SHELL = ["/", "/style.css", "/boot.js", "/pkg/floorboard_web.js", "/pkg/floorboard_web_bg.wasm"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/ws") return;
  // Every screen is the same page: /signin, /report, /queues and /board load the shell.
  const key = request.mode === "navigate" ? "/" : url.pathname;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(key, copy));
        }
        return response;
      })
      .catch(() => caches.match(key).then((hit) => hit || Response.error())),
  );
});
