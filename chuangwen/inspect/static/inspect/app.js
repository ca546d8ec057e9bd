// 创文督查: start-up, the two screens (#/ today's work, #/r/<round>/s/<site> a visit) and the service worker.

import * as db from "./db.js";
import * as sync from "./sync.js";
import { renderToday } from "./today.js";
import { config } from "./ui.js";
import { renderVisit } from "./visit.js";

let stopScreen = () => {};

function route() {
  const match = window.location.hash.match(/^#\/r\/(\d+)\/s\/(\d+)/);
  return match ? { view: "visit", roundId: Number(match[1]), siteId: Number(match[2]) } : { view: "today" };
}

async function render(scroll = true) {
  stopScreen();
  stopScreen = () => {};
  const where = route();
  if (where.view === "visit") {
    stopScreen = await renderVisit(where.roundId, where.siteId);
  } else {
    await renderToday();
  }
  if (scroll) window.scrollTo(0, 0);
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

async function main() {
  await db.openDb();
  db.persist();
  window.addEventListener("hashchange", () => render());
  // After a sync, redraw what may have changed (never the visit form: it would lose what is being typed).
  sync.onSynced(() => document.getElementById("app").dataset.view !== "visit" && render(false));
  await render();
  sync.render();
  registerServiceWorker();
  sync.start();
}

main();
