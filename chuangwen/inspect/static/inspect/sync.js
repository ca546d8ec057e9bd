// Sending what the phone keeps: photos first, then the visit that cites them; both idempotent by client_id.
// Runs on start, when the network returns, every 30 s while online, and on the 立即同步 button.

import * as db from "./db.js";
import { binding } from "./session.js";
import { config, h, shortTime, t } from "./ui.js";

class AuthError extends Error {
  /** `sessionGone`: the server no longer knows the session (401, sent to the login page), not just a CSRF miss. */
  constructor(sessionGone) {
    super("auth");
    this.sessionGone = sessionGone;
  }
}
class RetryLater extends Error {}

const listeners = new Set();
const endedListeners = new Set();
let running = null;
let stopped = false;
let timer = null;
let message = { key: "", values: {} };
let lastSync = null;

/** Run `listener()` after every sync pass (the app redraws what changed). */
export function onSynced(listener) {
  listeners.add(listener);
}

/** Run `listener()` when the server says the session is gone (the app then deletes the round copy). */
export function onSessionEnded(listener) {
  endedListeners.add(listener);
}

/** No more passes, timers or redraws of the sync bar (the session ended). */
export function stop() {
  stopped = true;
  clearInterval(timer);
}

export function csrfToken() {
  const name = config.csrf_cookie || "csrftoken";
  const cookie = document.cookie.split("; ").find((row) => row.startsWith(`${name}=`));
  if (cookie) return decodeURIComponent(cookie.slice(name.length + 1));
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

async function api(url, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (options.method && options.method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", cache: "no-store", ...options, headers });
  } catch {
    throw new RetryLater("network");
  }
  if (response.redirected && new URL(response.url).pathname.startsWith("/accounts/")) throw new AuthError(true);
  measureClock(response);
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 401) throw new AuthError(true);
  if (response.status === 403 && /csrf/i.test(String(body?.detail ?? ""))) throw new AuthError(false);
  if (response.status >= 500 || response.status === 429) throw new RetryLater(String(response.status));
  return { status: response.status, body };
}

/** The Chinese reason(s) of an error answer: ninja's 422 list or a {"detail": "…"} body. */
export function reasons(body, fallback = "") {
  const detail = body?.detail;
  if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d));
  if (typeof detail === "string" && detail) return [detail];
  return fallback ? [fallback] : [];
}

// The phone clock minus the server's (ms), from the Date header of the last answer: sent with each photo so
// the server can correct its capture time (capture binding, docs/evidence.md). Kept across reloads: a pass
// after an offline reload uploads photos before any other answer has come.
const CLOCK_KEY = "cw_clock_offset_ms";
let clockOffsetMs = readClock();

function readClock() {
  const kept = Number.parseInt(localStorage.getItem(CLOCK_KEY) ?? "", 10);
  return Number.isNaN(kept) ? null : kept;
}

function measureClock(response) {
  const served = Date.parse(response.headers.get("Date") || "");
  if (Number.isNaN(served)) return;
  clockOffsetMs = Math.round(Date.now() - served);
  localStorage.setItem(CLOCK_KEY, String(clockOffsetMs));
}

/** The capture token the server issued for the photo's round and site (with today's assignments). */
async function captureToken(photo) {
  const copy = await db.get("assignments", "current");
  const site = copy?.data?.rounds
    ?.find((r) => r.id === photo.round_id)
    ?.sites?.find((s) => s.site_id === photo.site_id);
  return site?.capture_token || "";
}

async function uploadPhoto(photo) {
  const form = new FormData();
  form.append("file", photo.blob, `${photo.client_id}.jpg`);
  const fields = {
    client_id: photo.client_id,
    kind: photo.kind,
    round_id: photo.round_id,
    site_id: photo.site_id,
    captured_at: photo.captured_at,
    coord_system: "WGS-84",
    capture_token: await captureToken(photo),
    source: "camera",
  };
  if (clockOffsetMs !== null) fields.clock_offset_ms = clockOffsetMs;
  if (photo.lat != null) Object.assign(fields, { lat: photo.lat, lng: photo.lng, accuracy: photo.accuracy });
  for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
  const { status, body } = await api(config.urls.evidence, { method: "POST", body: form });
  if (status === 200 || status === 201) {
    Object.assign(photo, { uploaded: true, rejected: null, server_id: body?.id ?? null });
  } else {
    photo.rejected = reasons(body, String(status)).join("；");
  }
  await db.put("photos", photo);
}

async function uploadPhotos(entry) {
  const photos = await db.getByIndex("photos", "owner", entry.key);
  const cited = photos.filter((p) => entry.photo_ids.includes(p.client_id));
  for (const photo of cited) {
    if (!photo.uploaded && !photo.rejected) await uploadPhoto(photo);
  }
  const missing = entry.photo_ids.filter((id) => !cited.some((p) => p.client_id === id));
  const rejected = cited.filter((p) => p.rejected).map((p) => t("photo_rejected", { detail: p.rejected }));
  return missing.length ? [...rejected, t("photo_failed")] : rejected;
}

async function markForResend(ids) {
  for (const id of ids) {
    const photo = await db.get("photos", id);
    if (photo) await db.put("photos", { ...photo, uploaded: false });
  }
}

async function refuse(entry, errors) {
  await db.put("outbox", { ...entry, state: "error", errors });
}

async function accepted(entry, body) {
  await db.remove("outbox", entry.client_id);
  for (const photo of await db.getByIndex("photos", "owner", entry.key)) await db.remove("photos", photo.client_id);
  const copy = await db.get("assignments", "current");
  const site = copy?.data?.rounds
    ?.find((r) => r.id === entry.round_id)
    ?.sites?.find((s) => s.site_id === entry.site_id);
  if (site) {
    site.visit = { client_id: entry.client_id, status: body?.status ?? "submitted", outcome: entry.payload.outcome };
    if (body?.score != null) site.visit.score = body.score;
    await db.put("assignments", copy);
  }
}

/** Send one finished visit: its photos, then the visit; a 409 photos_missing re-sends those photos once. */
async function sendVisit(entry) {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const photoErrors = await uploadPhotos(entry);
    if (photoErrors.length) return refuse(entry, photoErrors);
    const { status, body } = await api(config.urls.visits, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(entry.payload),
    });
    if (status === 200 || status === 201) return accepted(entry, body);
    if (status === 409 && body?.code === "photos_missing") {
      await markForResend(body.missing || []);
      continue;
    }
    return refuse(entry, reasons(body, String(status)));
  }
  throw new RetryLater("photos_missing");
}

/** Download today's work and keep the copy for offline use. */
export async function refreshAssignments() {
  const { status, body } = await api(config.urls.assignments);
  if (status !== 200 || !body) return null;
  const copy = { key: "current", data: body, fetched_at: new Date().toISOString(), ...binding() };
  await db.put("assignments", copy);
  return copy;
}

async function waiting() {
  const outbox = (await db.getAll("outbox")).filter((e) => e.state !== "error");
  return outbox.sort((a, b) => String(a.queued_at).localeCompare(String(b.queued_at)));
}

async function pass(refresh) {
  setMessage("syncing");
  try {
    const outbox = await waiting();
    for (const entry of outbox) await sendVisit(entry);
    if (refresh || outbox.length) await refreshAssignments();
    lastSync = new Date();
    setMessage("synced_at", { time: shortTime(lastSync) });
  } catch (error) {
    if (error instanceof AuthError && error.sessionGone) {
      for (const listener of endedListeners) listener();
      return;
    }
    setMessage(error instanceof AuthError ? "login_expired" : "sync_failed");
  }
}

/**
 * One sync pass at a time (also across tabs when the browser has Web Locks). `refresh: false` downloads
 * today's work only when something was sent.
 */
export function sync({ refresh = true } = {}) {
  if (stopped) return Promise.resolve();
  if (!navigator.onLine) {
    render();
    return Promise.resolve();
  }
  if (!running) {
    const run = () => pass(refresh);
    const locked = navigator.locks ? () => navigator.locks.request("cw-inspect-sync", run) : run;
    running = locked()
      .finally(() => {
        running = null;
      })
      .then(async () => {
        if (stopped) return;
        await render();
        for (const listener of listeners) listener();
      });
  }
  return running;
}

function setMessage(key, values = {}) {
  message = { key, values };
  render();
}

/** Redraw the sync bar: network state, what waits to be sent, the last message. */
export async function render() {
  const bar = document.getElementById("sync");
  if (!bar || stopped) return;
  const online = navigator.onLine;
  const outbox = await db.getAll("outbox");
  const photos = await db.getAll("photos");
  const owners = new Set(outbox.map((e) => e.key));
  const waitingPhotos = photos.filter((p) => owners.has(p.owner) && !p.uploaded).length;
  bar.dataset.net = online ? "online" : "offline";
  bar.dataset.pending = String(outbox.length);
  bar.dataset.state = running ? "syncing" : message.key || "idle";
  document.getElementById("sync-net").textContent = online ? t("online") : t("offline");
  const pending = outbox.length ? [t("pending", { n: outbox.length }), waitingPhotos ? t("pending_photos", { n: waitingPhotos }) : ""] : [];
  document.getElementById("sync-pending").textContent = pending.filter(Boolean).join(" · ");
  const msg = document.getElementById("sync-msg");
  msg.replaceChildren(message.key && online ? t(message.key, message.values) : "");
  if (message.key === "login_expired") msg.append(" ", h("a", { href: config.urls.login }, t("relogin")));
  document.getElementById("sync-now").disabled = !online || Boolean(running);
}

/** Listen to the network and sync periodically. */
export function start() {
  window.addEventListener("online", () => sync());
  window.addEventListener("offline", () => render());
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && sync());
  document.getElementById("sync-now")?.addEventListener("click", () => sync());
  // The timer only sends what waits: a phone with nothing to send does not keep the session awake.
  timer = setInterval(async () => {
    if (!stopped && navigator.onLine && !running && (await waiting()).length) sync({ refresh: false });
  }, config.sync_interval_ms || 30000);
  return sync();
}
