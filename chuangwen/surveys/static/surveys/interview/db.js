// IndexedDB of the interviewer's app, one database per signed-in user:
//   waves   {id, data, fetched_at, clock_offset_ms}   the last download of GET …/waves/{id}/fieldwork
//   drafts  {wave_id, client_id, …}                    the interview in progress of each wave, saved on change
//   outbox  {client_id, wave_id, state, payload, …}    finished interviews: pending → sent, or error with the
//                                                      server's reasons; a sent one keeps no answers
// The client_id is made once, when the interview starts, and stays with it through every resend.

import { config } from "../../inspect/ui.js";

const DB_VERSION = 1;
let opening = null;

function promisify(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function settled(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

function upgrade(db) {
  if (!db.objectStoreNames.contains("waves")) db.createObjectStore("waves", { keyPath: "id" });
  if (!db.objectStoreNames.contains("drafts")) db.createObjectStore("drafts", { keyPath: "wave_id" });
  if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "client_id" });
}

export function dbName() {
  return `cw-survey-u${config.user?.id ?? "0"}`;
}

export function openDb() {
  if (!opening) {
    const request = indexedDB.open(dbName(), DB_VERSION);
    request.onupgradeneeded = () => upgrade(request.result);
    opening = promisify(request).then((db) => {
      db.onversionchange = () => {
        db.close();
        opening = null;
      };
      return db;
    });
  }
  return opening;
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

export async function put(name, value) {
  return promisify((await store(name, "readwrite")).put(value));
}

export async function remove(name, key) {
  return promisify((await store(name, "readwrite")).delete(key));
}

/** A finished interview leaves the drafts and enters the outbox in one transaction (never both, never neither). */
export async function finishDraft(waveId, entry) {
  const db = await openDb();
  const tx = db.transaction(["drafts", "outbox"], "readwrite");
  tx.objectStore("drafts").delete(waveId);
  tx.objectStore("outbox").put(entry);
  return settled(tx);
}

/** Ask the browser not to evict our data under storage pressure (best effort). */
export async function persist() {
  try {
    if (navigator.storage?.persist && !(await navigator.storage.persisted())) await navigator.storage.persist();
  } catch {
    // Not available: the data is kept anyway until the browser needs the space.
  }
}
