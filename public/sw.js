// Pinhole's service worker. It keeps one build's files together in one cache (the page, both wasm
// binaries and their loaders, the style, the icons and the shipped weights), so that after one
// visit the page opens, classifies, explains and trains with no network, and a browser never runs
// an old engine against a new UI. A new deploy installs beside the old one and waits until the
// page asks it to take over (the page offers a reload).
//
// This file is a template: scripts/pwa.py (a Trunk post-build hook) writes BUILD and APP_FILES.
const BUILD = 'dev';
const APP_FILES = [];

const APP_CACHE = `pinhole-app-${BUILD}`;
// The small JSON files the engine reads under data/ (shard manifests), last good copy, so that
// training on cached shards works offline. The shards themselves are cached by the engine after
// their hashes are checked (Cache Storage `pinhole-shards-v1`).
const DATA_CACHE = 'pinhole-data-v1';
const DEFAULT_MANIFEST = 'data/cifar10/manifest.json';
const scope = new URL(self.registration.scope);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(APP_CACHE);
    // A versioned name (the build's, or a weights file's content hash) is this build's file
    // whatever cache holds it, so the copy the page has just downloaded is reused; the others (the
    // page, the weights index, icons) are asked of the server (`reload`), so they never come from
    // the HTTP cache of an earlier build.
    await cache.addAll(APP_FILES.map((path) => new Request(new URL(path, scope),
      { cache: path.includes(`-${BUILD}.`) || /-[0-9a-f]{12}\./.test(path) ? 'default' : 'reload' })));
    // The built-in shard manifest, if this site serves one (best effort: a site may have none).
    try {
      const response = await fetch(new URL(DEFAULT_MANIFEST, scope), { cache: 'no-store' });
      if (response.ok) await (await caches.open(DATA_CACHE)).put(new URL(DEFAULT_MANIFEST, scope), response);
    } catch (_) { /* offline or no shards: nothing to keep */ }
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('pinhole-app-') && name !== APP_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// The page's "Reload" on the update notice.
self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const path = url.pathname.slice(scope.pathname.length);
  if (request.mode === 'navigate' ? path === '' || path === 'index.html' : APP_FILES.includes(path)) {
    event.respondWith(fromBuild(request, request.mode === 'navigate' ? 'index.html' : path));
  } else if (path.startsWith('data/') && path.endsWith('.json')) {
    event.respondWith(networkFirst(request));
  }
});

async function fromBuild(request, path) {
  const hit = await (await caches.open(APP_CACHE)).match(new URL(path, scope));
  return hit ?? fetch(request);
}

async function networkFirst(request) {
  const cache = await caches.open(DATA_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request.url.split('?')[0], response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(request.url.split('?')[0]);
    if (hit) return hit;
    throw error;
  }
}
