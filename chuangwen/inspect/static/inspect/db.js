// IndexedDB: everything the app needs offline, one database per signed-in user.
//   assignments  {key: "current", data, fetched_at,        the last copy of GET /inspect/assignments, bound to
//                 user_id, session, expires_at}            the session that fetched it (session.js)
//   drafts       {key: "round:site", …visit in progress}    autosaved on every change
//   outbox       {client_id, key, payload, state, errors}   finished visits waiting to be sent
//   photos       {client_id, blob, …metadata, uploaded}     downscaled photos with position and time

import { config } from "./ui.js";

const DB_VERSION = 1;
let opening = null;

function promisify(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function upgrade(db) {
  if (!db.objectStoreNames.contains("assignments")) db.createObjectStore("assignments", { keyPath: "key" });
  if (!db.objectStoreNames.contains("drafts")) db.createObjectStore("drafts", { keyPath: "key" });
  if (!db.objectStoreNames.contains("outbox")) {
    const outbox = db.createObjectStore("outbox", { keyPath: "client_id" });
    outbox.createIndex("key", "key");
  }
  if (!db.objectStoreNames.contains("photos")) {
    const photos = db.createObjectStore("photos", { keyPath: "client_id" });
    photos.createIndex("owner", "owner");
  }
}

export function dbName() {
  return `cw-inspect-u${config.user?.id ?? "0"}`;
}

export function openDb() {
  if (!opening) {
    const request = indexedDB.open(dbName(), DB_VERSION);
    request.onupgradeneeded = () => upgrade(request.result);
    opening = promisify(request).then((db) => {
      // Another tab deleting the database (its session ended) must not be blocked by this connection.
      db.onversionchange = () => closeDb();
      return db;
    });
  }
  return opening;
}

/** Close the connection (before the database is deleted); the next call opens it again. */
export function closeDb() {
  const current = opening;
  opening = null;
  current?.then((db) => db.close(), () => {});
}

async function store(name, mode = "readonly") {
  const db = await openDb();
  return db.transaction(name, mode).objectStore(name);
}

export async function get(name, key) {
  return promisify((await store(name)).get(key));
}

export async function getAll(name) {
  return promisify((await store(name)).getAll());
}

export async function getByIndex(name, index, value) {
  return promisify((await store(name)).index(index).getAll(value));
}

export async function put(name, value) {
  return promisify((await store(name, "readwrite")).put(value));
}

export async function remove(name, key) {
  return promisify((await store(name, "readwrite")).delete(key));
}

export async function count(name) {
  return promisify((await store(name)).count());
}

/** Move a finished visit from drafts to the outbox in one transaction (never both, never neither). */
export async function moveDraftToOutbox(draftKey, entry) {
  const db = await openDb();
  const tx = db.transaction(["drafts", "outbox"], "readwrite");
  tx.objectStore("drafts").delete(draftKey);
  tx.objectStore("outbox").put(entry);
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** Ask the browser not to evict our data under storage pressure (best effort). */
export async function persist() {
  try {
    if (navigator.storage?.persist && !(await navigator.storage.persisted())) await navigator.storage.persist();
  } catch {
    // Not available: the data is kept anyway until the browser needs the space.
  }
}
