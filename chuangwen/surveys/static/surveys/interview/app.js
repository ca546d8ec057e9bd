// 入户/街访: start-up, the two screens (#/ home, #/w/<wave> an interview), the service worker and the sync loop.

import * as db from "./db.js";
import { renderInterview } from "./form.js";
import { renderHome } from "./home.js";
import * as sync from "./sync.js";
import { config } from "../../inspect/ui.js";

let stopScreen = () => {};

function route() {
  const match = window.location.hash.match(/^#\/w\/(\d+)/);
  return match ? { view: "interview", waveId: Number(match[1]) } : { view: "home" };
}

async function render() {
  stopScreen();
  stopScreen = () => {};
  const where = route();
  if (where.view === "interview") {
    stopScreen = await renderInterview(where.waveId);
  } else {
    await renderHome();
    window.scrollTo(0, 0);
  }
}

async function registerServiceWorker() {
  const root = document.documentElement;
  if (!("serviceWorker" in navigator)) {
    root.dataset.sw = "unsupported";
    return;
  }
  try {
    await navigator.serviceWorker.register(config.urls.sw, { scope: config.urls.scope });
    const mark = () => {
      if (navigator.serviceWorker.controller) root.dataset.sw = "ready";
    };
    navigator.serviceWorker.addEventListener("controllerchange", mark);
    await navigator.serviceWorker.ready;
    mark();
  } catch {
    root.dataset.sw = "failed";
  }
}

/** Waves no longer offered (closed, or the interviewer left the staff) leave the phone with their drafts. */
async function forgetOtherWaves() {
  const offered = new Set((config.waves || []).map((w) => w.id));
  for (const copy of await db.getAll("waves")) {
    if (offered.has(copy.id)) continue;
    await db.remove("waves", copy.id);
    await db.remove("drafts", copy.id);
  }
}

async function main() {
  await db.openDb();
  db.persist();
  await forgetOtherWaves();
  await sync.forgetOldSent();
  // Until the server is reached again, times are corrected by the offset measured at the last download.
  const copies = await db.getAll("waves");
  const latest = copies.sort((a, b) => String(b.fetched_at).localeCompare(String(a.fetched_at)))[0];
  if (latest) sync.setClockOffset(Number(latest.clock_offset_ms) || 0);
  window.addEventListener("hashchange", () => render());
  // After a sync, redraw the home screen (never an interview: it would disturb what is being asked).
  sync.onSynced(() => route().view === "home" && renderHome());
  await render();
  sync.render();
  registerServiceWorker();
  sync.start();
}

main();
