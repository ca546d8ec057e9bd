// Downloading waves and sending finished interviews, idempotent by client_id (the server answers a resend of
// a stored interview with 200 and the stored result). Runs on start, when the network returns, every 30 s
// while something waits, and on the 立即同步 button; one pass at a time.
//   200/201 → sent (the answers and the phone number leave the phone; only a summary stays for today's count)
//   409/422/403/404 → kept, with the server's Chinese reasons, until the interviewer re-sends or deletes it
//   network error, 5xx, 429 → kept as pending, tried again later
//   401 or CSRF refusal → kept; the bar asks to sign in again

import * as db from "./db.js";
import { config, h, shortTime, t } from "../../inspect/ui.js";

class AuthError extends Error {}
class RetryLater extends Error {}

// The device clock is corrected when it is this far from the server's (the Date header has 1 s resolution).
const CLOCK_TOLERANCE_MS = 30_000;
const listeners = new Set();
let running = null;
let timer = null;
let message = { key: "", values: {} };
let clockOffsetMs = 0;

/** Run `listener()` after every sync pass (the home screen redraws what changed). */
export function onSynced(listener) {
  listeners.add(listener);
}

export function csrfToken() {
  const name = config.csrf_cookie || "csrftoken";
  const cookie = document.cookie.split("; ").find((row) => row.startsWith(`${name}=`));
  return cookie ? decodeURIComponent(cookie.slice(name.length + 1)) : "";
}

/** Server time minus phone time (ms), as last measured; 0 while within the tolerance. */
export function clockOffset() {
  return Math.abs(clockOffsetMs) >= CLOCK_TOLERANCE_MS ? clockOffsetMs : 0;
}

/** The raw measured offset in seconds (sent with each interview's paradata). */
export function measuredOffsetSeconds() {
  return Math.round(clockOffsetMs / 100) / 10;
}

export function setClockOffset(ms) {
  if (Number.isFinite(ms)) clockOffsetMs = ms;
}

function measureClock(response) {
  const header = response.headers.get("Date");
  const server = header ? Date.parse(header) : NaN;
  if (Number.isFinite(server)) clockOffsetMs = server - Date.now();
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
  if (response.redirected && new URL(response.url).pathname.startsWith("/accounts/")) throw new AuthError();
  measureClock(response);
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 401) throw new AuthError();
  if (response.status === 403 && /csrf/i.test(String(body?.detail ?? ""))) throw new AuthError();
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

function urlFor(name, waveId) {
  return config.urls[name].replace("{id}", String(waveId));
}

/**
 * Download one wave (definition, strata, quotas) and keep it for offline use. Returns the stored copy;
 * throws Error(reason) when the server refuses, RetryLater/AuthError otherwise.
 */
export async function downloadWave(waveId) {
  const { status, body } = await api(urlFor("fieldwork", waveId));
  if (status !== 200 || !body?.definition) throw new Error(reasons(body, String(status)).join("；"));
  const copy = { id: waveId, data: body, fetched_at: new Date().toISOString(), clock_offset_ms: clockOffsetMs };
  await db.put("waves", copy);
  return copy;
}

/** Download one wave for the home screen's button: {copy} or {reason} in Chinese. */
export async function fetchWave(waveId) {
  try {
    const copy = await downloadWave(waveId);
    return { copy };
  } catch (error) {
    if (error instanceof AuthError) {
      setMessage("login_expired");
      return { reason: t("login_expired") };
    }
    if (error instanceof RetryLater) return { reason: t("sync_failed") };
    return { reason: error.message };
  }
}

/** Refresh the quotas of every downloaded wave (after sending, and on start); refusals keep the old copy. */
async function refreshWaves() {
  for (const copy of await db.getAll("waves")) {
    try {
      await downloadWave(copy.id);
    } catch (error) {
      if (error instanceof AuthError || error instanceof RetryLater) throw error;
    }
  }
}

function sentSummary(entry, body) {
  const { payload: _payload, errors: _errors, positions: _positions, ...kept } = entry;
  return {
    ...kept,
    state: "sent",
    sent_at: new Date().toISOString(),
    result: { status: body?.status ?? "", flags: body?.flags ?? [], callback: body?.callback ?? "" },
  };
}

async function sendOne(entry) {
  const { status, body } = await api(urlFor("responses", entry.wave_id), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(entry.payload),
  });
  if (status === 200 || status === 201) {
    await db.put("outbox", sentSummary(entry, body));
    return true;
  }
  const fallback = status === 403 || status === 404 ? t("not_allowed") : String(status);
  await db.put("outbox", { ...entry, state: "error", code: body?.code ?? String(status), errors: reasons(body, fallback) });
  return false;
}

export async function waiting() {
  const outbox = (await db.getAll("outbox")).filter((e) => e.state === "pending");
  return outbox.sort((a, b) => String(a.queued_at).localeCompare(String(b.queued_at)));
}

async function pass(refresh) {
  setMessage("syncing");
  try {
    const outbox = await waiting();
    for (const entry of outbox) await sendOne(entry);
    if (refresh || outbox.length) await refreshWaves();
    setMessage("synced_at", { time: shortTime(new Date()) });
  } catch (error) {
    setMessage(error instanceof AuthError ? "login_expired" : "sync_failed");
  }
}

/** One pass at a time (also across tabs where the browser has Web Locks). */
export function sync({ refresh = true } = {}) {
  if (!navigator.onLine) {
    render();
    return Promise.resolve();
  }
  if (!running) {
    const run = () => pass(refresh);
    const locked = navigator.locks ? () => navigator.locks.request("cw-survey-interview-sync", run) : run;
    running = locked()
      .finally(() => {
        running = null;
      })
      .then(async () => {
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

function isToday(value) {
  return Boolean(value) && new Date(value).toDateString() === new Date().toDateString();
}

/** Sent interviews of earlier days leave the phone (only today's count is shown). */
export async function forgetOldSent() {
  for (const entry of await db.getAll("outbox")) {
    if (entry.state === "sent" && !isToday(entry.sent_at)) await db.remove("outbox", entry.client_id);
  }
}

/** Redraw the sync bar: network, 待上传 (pending and refused), 今日已上传, the last message. */
export async function render() {
  const bar = document.getElementById("sync");
  if (!bar) return;
  const online = navigator.onLine;
  const outbox = await db.getAll("outbox");
  const unsent = outbox.filter((e) => e.state !== "sent").length;
  const sent = outbox.filter((e) => e.state === "sent" && isToday(e.sent_at)).length;
  bar.dataset.net = online ? "online" : "offline";
  bar.dataset.pending = String(unsent);
  bar.dataset.sent = String(sent);
  bar.dataset.state = running ? "syncing" : message.key || "idle";
  document.getElementById("sync-net").textContent = online ? t("online") : t("offline");
  document.getElementById("sync-pending").textContent = t("pending", { n: unsent });
  document.getElementById("sync-sent").textContent = t("sent_today", { n: sent });
  const msg = document.getElementById("sync-msg");
  msg.replaceChildren(message.key && online ? t(message.key, message.values) : "");
  if (message.key === "login_expired") msg.append(" ", h("a", { href: config.urls.login }, t("relogin")));
  document.getElementById("sync-now").disabled = !online || Boolean(running);
}

/** Listen to the network and sync periodically. */
export function start() {
  window.addEventListener("online", () => sync());
  window.addEventListener("offline", () => render());
  document.getElementById("sync-now")?.addEventListener("click", () => sync());
  // The timer only sends what waits: a phone with nothing to send does not keep the session awake.
  timer = setInterval(async () => {
    if (navigator.onLine && !running && (await waiting()).length) sync({ refresh: false });
  }, config.sync_interval_ms || 30000);
  return sync();
}

export function stop() {
  clearInterval(timer);
}
