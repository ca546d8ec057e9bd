/* 入户/街访 service worker: keeps the app shell and its scripts so the interviewer's app opens without a network.
   Static files: cache first. The shell page: network first (short timeout), the cached copy when offline.
   The API is never cached here: the app keeps its downloaded waves and unsent interviews in IndexedDB.
   Logout's Clear-Site-Data removes these caches, the app's database and this worker. */
"use strict";

const VERSION = "{{ version }}";
const PREFIX = "{{ cache_prefix }}";
const CACHE = `${PREFIX}${VERSION}`;
const PRECACHE = {{ precache }};
const SHELL = "{{ shell }}";
const STATIC_PREFIX = "{{ static_prefix }}";
const NETWORK_TIMEOUT_MS = 5000;

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(
    PRECACHE.map(async (url) => {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
      // A redirect means the session ended (login page): never keep that as the shell.
      if (response.ok && !response.redirected) await cache.put(url, response);
    }),
  );
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

async function shellNetworkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    if (response.ok && !response.redirected) await cache.put(SHELL, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(SHELL);
    if (cached) return cached;
    throw error;
  }
}

async function staticCacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL) {
    event.respondWith(shellNetworkFirst(request));
  } else if (url.pathname.startsWith(STATIC_PREFIX) && PRECACHE.includes(url.pathname)) {
    event.respondWith(staticCacheFirst(request));
  }
});
