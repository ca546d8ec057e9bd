// 创文督查: start-up, the two screens (#/ today's work, #/r/<round>/s/<site> a visit), the service worker,
// logout and the end of the session (session.js).

import * as db from "./db.js";
import * as session from "./session.js";
import * as sync from "./sync.js";
import { renderToday } from "./today.js";
import { config, h, t, toast } from "./ui.js";
import { renderVisit } from "./visit.js";

const SESSION_CHECK_MS = 60_000;
let stopScreen = () => {};
let ended = false;

function route() {
  const match = window.location.hash.match(/^#\/r\/(\d+)\/s\/(\d+)/);
  return match ? { view: "visit", roundId: Number(match[1]), siteId: Number(match[2]) } : { view: "today" };
}

async function render(scroll = true) {
  if (ended) return;
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

/** The session is over (server said so, or past its end by the phone's clock): forget the round, say so. */
async function endSession() {
  if (ended) return;
  ended = true;
  sync.stop();
  stopScreen();
  session.showEnded(await session.purge());
}

/**
 * 退出: send what waits first; unsent work that is still there is deleted with the rest (the server's
 * Clear-Site-Data wipes this site's storage anyway), so ask before.
 */
async function logOut() {
  if (!navigator.onLine) {
    toast(t("logout_offline"), "error");
    return;
  }
  await sync.sync({ refresh: false });
  if (ended) return;
  const waiting = (await db.count("outbox")) + (await db.count("drafts"));
  if (waiting && !window.confirm(t("confirm_logout", { n: waiting }))) return;
  const token = sync.csrfToken();
  ended = true;
  sync.stop();
  stopScreen();
  await session.purge({ everything: true }); // also where the browser ignores Clear-Site-Data
  const form = h(
    "form",
    { method: "post", action: config.urls.logout, hidden: true },
    h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: token }),
  );
  document.body.append(form);
  form.submit();
}

async function main() {
  if (!session.alive()) {
    await endSession();
    return;
  }
  await db.openDb();
  await session.dropUnbound();
  session.forgetOtherUsers().catch(() => {});
  db.persist();
  document.getElementById("logout")?.addEventListener("click", logOut);
  sync.onSessionEnded(endSession);
  const check = () => !ended && !session.alive() && endSession();
  setInterval(check, SESSION_CHECK_MS);
  document.addEventListener("visibilitychange", check);
  window.addEventListener("hashchange", () => render());
  // After a sync, redraw what may have changed (never the visit form: it would lose what is being typed).
  sync.onSynced(() => document.getElementById("app").dataset.view !== "visit" && render(false));
  await render();
  sync.render();
  registerServiceWorker();
  sync.start();
}

main();
