// Floorboard's service worker: keeps the app shell on the device so a tablet in a Wi-Fi
// dead zone can reload the page and still reach its outbox. Network first, so a new
// release is picked up whenever the server answers, but only for NETWORK_WITHIN_MS when a
// copy is on the device: a link that accepts connections and passes nothing (an access point
// without its backhaul) never fails by itself, and the tablet must open within seconds. The
// network's answer, when it comes later, still refreshes the copy. The API and the
// websocket are never cached.
const CACHE = "floorboard-shell-v1";
const NETWORK_WITHIN_MS = 1500;
const NETWORK_GIVE_UP_MS = 10000;
// After the network has missed that once, the copy answers at once for a while (the page's
// other files are asked for right after it), while the network is still asked in the
// background; an answer from it ends the while.
const SLOW_FOR_MS = 15000;
let slowUntil = 0;
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
  let answered = false;
  // Given up after a while: a fetch left hanging on a dead link holds one of the few
  // connections the browser opens to a server, and the page's own requests queue behind it.
  const network = fetch(request, { signal: AbortSignal.timeout(NETWORK_GIVE_UP_MS) }).then((response) => {
    answered = true;
    slowUntil = 0;
    if (response.ok) {
      const copy = response.clone();
      return caches.open(CACHE).then((cache) => cache.put(key, copy)).then(() => response);
    }
    return response;
  });
  // The copy is refreshed even when the page was answered from it.
  event.waitUntil(network.catch(() => undefined));
  event.respondWith(
    caches.match(key).then((copy) => {
      if (!copy) return network.catch(() => Response.error());
      if (Date.now() < slowUntil) return copy;
      const late = new Promise((resolve) =>
        setTimeout(() => {
          if (!answered) slowUntil = Date.now() + SLOW_FOR_MS;
          resolve(copy);
        }, NETWORK_WITHIN_MS),
      );
      return Promise.race([network.catch(() => copy), late]);
    }),
  );
});
