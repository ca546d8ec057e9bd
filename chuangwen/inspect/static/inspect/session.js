// The phone's copy of a round belongs to the session that downloaded it (docs/security.md, "Phone app data
// after logout"): stored with the user id, the session's key and its absolute end, and shown only while the
// page's session is alive (its key still in the browser's cookie, its end not passed by the phone's clock).
// When the session is over the round copy and the cached shell go; the inspector's unsent work (drafts,
// outbox, photos: ids, answers, positions, no names) stays for the same user's next login.

import * as db from "./db.js";
import { config, h, show, t } from "./ui.js";

const CACHE_PREFIX = "cw-inspect-";
const DB_PREFIX = "cw-inspect-u";

/** Stored with every downloaded copy of today's work. */
export function binding() {
  return { user_id: config.user?.id, session: config.session?.key, expires_at: config.session?.expires_at };
}

function cookie(name) {
  const row = document.cookie.split("; ").find((r) => r.startsWith(`${name}=`));
  return row ? decodeURIComponent(row.slice(name.length + 1)) : null;
}

/** The session this page was served for: still the browser's (logout deletes the cookie) and not past its end. */
export function alive(now = Date.now()) {
  const session = config.session;
  return Boolean(session?.key) && cookie(session.cookie) === session.key && now < Number(session.expires_at);
}

/** A stored copy that was downloaded by this user in this session, before its end. */
export function bound(copy, now = Date.now()) {
  const mine = copy?.user_id === config.user?.id && copy?.session === config.session?.key;
  return Boolean(copy) && mine && now < Number(copy.expires_at);
}

function settled(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

function deleteDatabase(name) {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    // Blocked by another tab: the deletion still happens once that tab lets go; do not wait for it.
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

/** Empty the round copy and take names out of unsent work (older versions kept them); returns what waits. */
async function forgetRounds(database) {
  const names = ["assignments", "drafts", "outbox"].filter((n) => database.objectStoreNames.contains(n));
  if (!names.length) return 0;
  const tx = database.transaction(names, "readwrite");
  let waiting = 0;
  for (const name of names) {
    const store = tx.objectStore(name);
    if (name === "assignments") {
      store.clear();
      continue;
    }
    store.openCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (!cursor) return;
      waiting += 1;
      const { site_name: _site, ...value } = cursor.value;
      if (value.draft) {
        const { site_name: _draftSite, ...draft } = value.draft;
        value.draft = draft;
      }
      cursor.update(value);
      cursor.continue();
    };
  }
  await settled(tx);
  return waiting;
}

async function clearCaches() {
  if (!("caches" in window)) return;
  for (const name of await caches.keys()) if (name.startsWith(CACHE_PREFIX)) await caches.delete(name);
}

/**
 * The session is over: delete the round copy and the cached shell, and the whole database unless unsent
 * work waits in it (or `everything`, at logout). Returns how many visits and drafts were kept.
 */
export async function purge({ everything = false } = {}) {
  await clearCaches();
  const waiting = everything ? 0 : await forgetRounds(await db.openDb());
  db.closeDb();
  if (!waiting) await deleteDatabase(db.dbName());
  return waiting;
}

/** Drop a stored round copy that another session (or this one, past its end) downloaded. */
export async function dropUnbound() {
  const copy = await db.get("assignments", "current");
  if (copy && !bound(copy)) await db.remove("assignments", "current");
}

/**
 * Only one user is signed in per browser, so another user's database is left from an ended session: its round
 * copy goes too (its unsent work stays for that user's next login).
 */
export async function forgetOtherUsers() {
  if (!indexedDB.databases) return;
  const mine = db.dbName();
  for (const { name } of await indexedDB.databases()) {
    if (!name?.startsWith(DB_PREFIX) || name === mine) continue;
    const database = await new Promise((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const waiting = await forgetRounds(database);
    database.close();
    if (!waiting) await deleteDatabase(name);
  }
}

/** The screen after the session ended: what was deleted, what waits, and the way back in. */
export function showEnded(waiting) {
  document.getElementById("sync")?.remove();
  document.getElementById("logout")?.remove();
  const main = show(
    h("h1", { class: "m-title" }, t("session_ended")),
    h("p", {}, t("session_wiped")),
    waiting ? h("p", { class: "m-muted", "data-testid": "kept" }, t("session_kept", { n: waiting })) : null,
    h("p", {}, h("a", { class: "m-btn", href: config.urls.login, "data-testid": "relogin" }, t("relogin"))),
  );
  main.dataset.view = "ended";
  main.dataset.state = "ready";
}
