// The home screen (#/): the waves the interviewer may work on (download, start or resume an interview) and
// the interviews on this phone (待上传, 需处理 with the server's reasons, 今日已上传).

import * as db from "./db.js";
import * as sync from "./sync.js";
import { config, h, shortTime, show, t, toast } from "../../inspect/ui.js";

const STATE_LABEL = { pending: "state_pending", error: "state_error", sent: "state_sent" };
const CHIP = { pending: "outbox", error: "error", sent: "done" };

/** "30–39 岁 女" for a quota cell. */
export function groupLabel(ageBand, sex) {
  const age = config.choices.age_bands.find(([value]) => value === ageBand)?.[1] ?? ageBand;
  const label = config.choices.sexes.find(([value]) => value === sex)?.[1] ?? sex;
  return `${age} ${label}`;
}

function totals(copy) {
  const strata = copy?.data?.strata ?? [];
  return {
    filled: strata.reduce((sum, s) => sum + s.filled, 0),
    target: strata.reduce((sum, s) => sum + s.target, 0),
  };
}

async function download(wave, button) {
  if (!navigator.onLine) {
    toast(t("download_offline"), "error");
    return;
  }
  button.disabled = true;
  button.textContent = t("downloading");
  const { copy, reason } = await sync.fetchWave(wave.id);
  if (copy) toast(t("downloaded"));
  else toast(t("download_failed", { detail: reason }), "error");
  await renderHome();
}

function waveCard(wave, copy, draft) {
  const downloaded = Boolean(copy);
  const button = h(
    "button",
    { type: "button", class: "m-btn m-btn--secondary", "data-testid": "download" },
    t(downloaded ? "update" : "download"),
  );
  button.addEventListener("click", () => download(wave, button));
  const progress = downloaded ? t("wave_progress", totals(copy)) : "";
  return h(
    "li",
    { class: "m-card iv-wave", dataset: { wave: wave.id, downloaded: downloaded ? "yes" : "no" } },
    h("h3", { class: "iv-wave__name" }, wave.name),
    h("p", { class: "m-muted" }, t("period", { start: wave.starts_on, end: wave.ends_on })),
    h(
      "p",
      { class: "m-muted", "data-testid": "download-state" },
      downloaded ? t("downloaded_at", { time: shortTime(copy.fetched_at) }) : t("not_downloaded"),
      progress ? ` · ${progress}` : "",
    ),
    h(
      "div",
      { class: "m-row" },
      downloaded
        ? h("a", { class: "m-btn", href: `#/w/${wave.id}`, "data-testid": "start" }, t(draft ? "resume" : "start"))
        : null,
      button,
    ),
  );
}

function resultLines(entry) {
  const result = entry.result || {};
  const lines = [];
  if (result.status === "flagged") {
    lines.push(t("record_status_flagged", { flags: (result.flags || []).map((f) => config.flags?.[f] ?? f).join("、") }));
  } else if (result.status === "excluded") {
    lines.push(t("record_status_excluded"));
  }
  if (result.callback === "picked") lines.push(t("record_callback"));
  return lines;
}

function recordRow(entry) {
  const state = entry.state;
  const summary = entry.summary || {};
  const actions = [];
  if (state === "error") {
    actions.push(
      h(
        "button",
        {
          type: "button",
          class: "m-btn m-btn--secondary",
          "data-testid": "retry",
          onclick: async () => {
            await db.put("outbox", { ...entry, state: "pending", errors: [], code: "" });
            await renderHome();
            sync.sync({ refresh: false });
          },
        },
        t("retry"),
      ),
      h(
        "button",
        {
          type: "button",
          class: "m-link-danger",
          "data-testid": "delete",
          onclick: async () => {
            if (!window.confirm(t("confirm_delete"))) return;
            await db.remove("outbox", entry.client_id);
            await renderHome();
            sync.render();
          },
        },
        t("delete"),
      ),
    );
  }
  return h(
    "li",
    { class: "m-card iv-record", dataset: { clientId: entry.client_id, state } },
    h(
      "div",
      { class: "iv-record__head" },
      h("span", { class: "iv-record__title" }, t("record_title", { unit: summary.unit, group: summary.group })),
      h("span", { class: `m-chip m-chip--${CHIP[state]}` }, t(STATE_LABEL[state])),
    ),
    h("p", { class: "m-muted" }, summary.wave_name ? `${summary.wave_name} · ` : "", t("record_time", { time: shortTime(summary.finished_at) })),
    state === "error"
      ? h(
          "div",
          { class: "iv-refused", "data-testid": "refused" },
          h("p", { class: "m-error" }, t("server_refused")),
          h("ul", {}, (entry.errors || []).map((reason) => h("li", {}, reason))),
        )
      : null,
    ...resultLines(entry).map((line) => h("p", { class: "m-muted" }, line)),
    actions.length ? h("div", { class: "m-row" }, actions) : null,
  );
}

function today(value) {
  return Boolean(value) && new Date(value).toDateString() === new Date().toDateString();
}

export async function renderHome() {
  const copies = new Map((await db.getAll("waves")).map((c) => [c.id, c]));
  const drafts = new Map((await db.getAll("drafts")).map((d) => [d.wave_id, d]));
  const outbox = (await db.getAll("outbox"))
    .filter((e) => e.state !== "sent" || today(e.sent_at))
    .sort((a, b) => String(b.queued_at).localeCompare(String(a.queued_at)));
  const waves = config.waves || [];
  const unsent = outbox.filter((e) => e.state !== "sent").length;
  const main = show(
    unsent ? h("p", { class: "iv-warning", "data-testid": "unsent-warning" }, t("unsent_warning", { n: unsent })) : null,
    h("h1", { class: "m-title" }, t("waves")),
    waves.length
      ? h("ul", { class: "iv-list", "data-testid": "waves" }, waves.map((w) => waveCard(w, copies.get(w.id), drafts.get(w.id))))
      : h("p", { class: "m-empty" }, t("no_waves")),
    h("h2", { class: "m-subtitle" }, t("records")),
    outbox.length
      ? h("ul", { class: "iv-list", "data-testid": "records" }, outbox.map(recordRow))
      : h("p", { class: "m-empty" }, t("no_records")),
  );
  main.dataset.view = "home";
  main.dataset.state = "ready";
}
