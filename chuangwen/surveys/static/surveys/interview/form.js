// One interview (#/w/<wave>): the screening (community, age band × sex cell from the last download — full
// cells shown as 已满 —, half a year's residence, an optional phone number), then the questionnaire
// (runner.js: skip logic, per-question timing) with the position at the start and at the end. The interview
// in progress is saved on every change, so a reload or a dead battery loses nothing; finishing moves it to the
// outbox with the client_id it got when it started.

import * as db from "./db.js";
import * as sync from "./sync.js";
import { groupLabel } from "./home.js";
import { createRunner } from "../runner.js";
import * as geo from "../../inspect/geo.js";
import { config, h, isoLocal, shortTime, show, t, toast, uuid } from "../../inspect/ui.js";

const PHONE_RE = /^1[3-9]\d{9}$/;

function normalisePhone(value) {
  const phone = String(value || "").replace(/[\s-]/g, "");
  return phone.startsWith("+86") ? phone.slice(3) : phone;
}

/** Now on the server's clock (the phone's clock corrected by the offset measured at the last contact). */
function serverNow() {
  return new Date(Date.now() + sync.clockOffset());
}

function fixOf(fix) {
  if (!fix) return null;
  return { lat: fix.lat, lng: fix.lng, accuracy: Math.round(fix.accuracy * 10) / 10, at: new Date(fix.at).toISOString() };
}

function backLink() {
  return h("a", { class: "m-back", href: "#/" }, `← ${t("back")}`);
}

function errorBox() {
  return h("div", { class: "iv-errors", role: "alert", "data-testid": "errors", hidden: true });
}

function showErrors(box, messages) {
  box.replaceChildren(...(messages.length ? [h("ul", {}, messages.map((m) => h("li", {}, m)))] : []));
  box.hidden = !messages.length;
}

function cellOf(stratum, ageBand, sex) {
  return stratum?.cells.find((c) => c.age_band === ageBand && c.sex === sex) ?? null;
}

function isFull(item) {
  return !item || item.filled >= item.target;
}

// --- screening ----------------------------------------------------------------------------------------------

function cellGrid(stratum) {
  if (!stratum) return h("p", { class: "m-muted" }, t("pick_stratum_first"));
  const sexes = config.choices.sexes;
  const rows = config.choices.age_bands.map(([band, bandLabel]) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, bandLabel),
      sexes.map(([sex, sexLabel]) => {
        const cell = cellOf(stratum, band, sex);
        const full = isFull(cell) || isFull(stratum);
        const id = `cell-${band}-${sex}`;
        return h(
          "td",
          {},
          h(
            "label",
            { class: "iv-cell", for: id, dataset: { cell: `${band}|${sex}`, full: full ? "yes" : "no" } },
            h("input", { type: "radio", name: "cell", id, value: `${band}|${sex}`, disabled: full }),
            h("span", { class: "m-visually-hidden" }, `${bandLabel} ${sexLabel}`),
            h(
              "span",
              { class: "iv-cell__count" },
              full ? t("full") : t("cell_progress", { filled: cell.filled, target: cell.target }),
            ),
          ),
        );
      }),
    ),
  );
  return h(
    "table",
    { class: "iv-cells", "data-testid": "cells" },
    h("thead", {}, h("tr", {}, h("td", {}), sexes.map(([, label]) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, rows),
  );
}

function renderScreening(copy, startInterview) {
  const strata = copy.data.strata;
  const cellsBox = h("div", { class: "iv-cells-box" }, cellGrid(null));
  const strataList = h(
    "div",
    { class: "iv-strata", "data-testid": "strata" },
    strata.map((s) => {
      const full = isFull(s);
      const id = `stratum-${s.id}`;
      return h(
        "label",
        { class: "iv-choice", for: id, dataset: { stratum: s.id, full: full ? "yes" : "no" } },
        h("input", { type: "radio", name: "stratum", id, value: s.id, disabled: full }),
        h("span", { class: "iv-choice__label" }, s.unit.name),
        h(
          "span",
          { class: full ? "m-chip m-chip--error" : "m-chip" },
          full ? t("full") : t("stratum_progress", { filled: s.filled, target: s.target }),
        ),
      );
    }),
  );
  const chosenStratum = () => {
    const input = strataList.querySelector("input:checked");
    return input ? strata.find((s) => String(s.id) === input.value) : null;
  };
  strataList.addEventListener("change", () => cellsBox.replaceChildren(cellGrid(chosenStratum())));
  const resident = h("input", { type: "checkbox", id: "resident", name: "resident" });
  const phone = h("input", {
    type: "tel",
    id: "phone",
    name: "phone",
    inputmode: "numeric",
    autocomplete: "off",
    maxlength: 20,
    class: "iv-input",
  });
  const errors = errorBox();
  const begin = h("button", { type: "button", class: "m-btn m-btn--submit", "data-testid": "begin" }, t("begin"));
  begin.addEventListener("click", () => {
    const stratum = chosenStratum();
    const picked = cellsBox.querySelector("input[name=cell]:checked")?.value.split("|") ?? null;
    const cell = picked ? cellOf(stratum, picked[0], picked[1]) : null;
    const number = normalisePhone(phone.value);
    const problems = [];
    if (!stratum) problems.push(t("err_stratum"));
    else if (!picked) problems.push(t("err_cell"));
    else if (isFull(cell) || isFull(stratum)) problems.push(t("err_cell_full"));
    if (!resident.checked) problems.push(t("err_resident"));
    if (number && !PHONE_RE.test(number)) problems.push(t("err_phone"));
    showErrors(errors, problems);
    if (problems.length) return;
    startInterview({ stratum, ageBand: picked[0], sex: picked[1], phone: number });
  });
  return [
    h("p", { class: "m-muted" }, t("new_interview"), " · ", t("quota_as_of", { time: shortTime(copy.fetched_at) })),
    h("fieldset", { class: "m-card iv-step" }, h("legend", {}, t("step_stratum")), strataList),
    h("fieldset", { class: "m-card iv-step" }, h("legend", {}, t("step_cell")), cellsBox),
    h(
      "fieldset",
      { class: "m-card iv-step" },
      h("legend", {}, t("step_resident")),
      h("label", { class: "iv-choice", for: "resident" }, resident, h("span", { class: "iv-choice__label" }, t("resident"))),
      h("p", { class: "m-muted" }, t("resident_hint")),
    ),
    h(
      "fieldset",
      { class: "m-card iv-step" },
      h("legend", {}, t("step_phone")),
      h("label", { for: "phone", class: "m-visually-hidden" }, t("phone")),
      phone,
      h("p", { class: "m-muted", "data-testid": "phone-hint" }, t("phone_hint")),
    ),
    errors,
    begin,
  ];
}

// --- the questionnaire --------------------------------------------------------------------------------------

function positionText(fix, error) {
  if (fix) return t("accuracy", { m: Math.round(fix.accuracy) });
  if (error === "denied") return t("geo_denied");
  if (error === "unsupported") return t("geo_unsupported");
  if (error) return t("no_position");
  return t("locating");
}

function addSeconds(base, current) {
  const out = { ...base };
  for (const [code, s] of Object.entries(current)) out[code] = Math.round(((out[code] || 0) + s) * 10) / 10;
  return out;
}

function renderQuestionnaire(copy, draft, stops) {
  const container = h("div", { class: "iv-questionnaire", "data-testid": "questionnaire" });
  const position = h("p", { class: "m-muted", "data-testid": "position" }, t("locating"));
  const errors = errorBox();
  const baseSeconds = { ...(draft.seconds || {}) };
  let runner = null;
  let saving = Promise.resolve();
  // Saves still in flight, on #app as data-saving: a reload waits for 0 in the tests (and nothing else reads it).
  let pending = 0;
  const mark = () => document.getElementById("app")?.setAttribute("data-saving", String(pending));

  const save = () => {
    draft.answers = runner.answers();
    draft.seconds = addSeconds(baseSeconds, runner.paradata().seconds);
    pending += 1;
    mark();
    saving = saving
      .then(() => db.put("drafts", draft))
      .catch((error) => toast(t("save_failed", { detail: error }), "error"))
      .finally(() => {
        pending -= 1;
        mark();
      });
    if (!errors.hidden) showErrors(errors, []);
  };

  stops.push(
    geo.watch((fix, error) => {
      position.textContent = positionText(fix, error);
      if (fix && !draft.start_fix) {
        draft.start_fix = fixOf(fix);
        saving = saving.then(() => db.put("drafts", draft));
      }
    }),
  );

  const finish = h("button", { type: "button", class: "m-btn m-btn--submit", "data-testid": "finish" }, t("finish"));
  finish.addEventListener("click", async () => {
    const problems = runner.validate();
    if (problems.length) {
      showErrors(errors, [t("fix_errors", { n: problems.length })]);
      return;
    }
    finish.disabled = true;
    save();
    await saving;
    const end = fixOf(geo.currentFix()) || draft.start_fix;
    const finishedAt = serverNow();
    const payload = {
      client_id: draft.client_id,
      mode: "interviewer",
      stratum_id: draft.stratum_id,
      age_band: draft.age_band,
      sex: draft.sex,
      resident: true,
      answers: draft.answers,
      started_at: draft.started_at,
      submitted_at: isoLocal(finishedAt),
      paradata: { seconds: draft.seconds, clock_offset_s: sync.measuredOffsetSeconds() },
    };
    if (draft.start_fix) {
      payload.paradata.start = { lat: draft.start_fix.lat, lng: draft.start_fix.lng, accuracy_m: draft.start_fix.accuracy };
    }
    if (end) Object.assign(payload, { lat: end.lat, lng: end.lng, accuracy_m: end.accuracy });
    if (draft.phone) payload.phone = draft.phone;
    const entry = {
      client_id: draft.client_id,
      wave_id: draft.wave_id,
      state: "pending",
      queued_at: new Date().toISOString(),
      summary: {
        wave_name: copy.data.wave.name,
        unit: draft.unit_name,
        group: groupLabel(draft.age_band, draft.sex),
        finished_at: finishedAt.toISOString(),
      },
      positions: { start: draft.start_fix, end: fixOf(geo.currentFix()) },
      payload,
    };
    try {
      await db.finishDraft(draft.wave_id, entry);
    } catch (error) {
      finish.disabled = false;
      toast(t("save_failed", { detail: error }), "error");
      return;
    }
    toast(t("queued"));
    window.location.hash = "#/";
    sync.sync({ refresh: false });
  });

  const discard = h("button", { type: "button", class: "m-link-danger", "data-testid": "discard" }, t("discard"));
  discard.addEventListener("click", async () => {
    if (!window.confirm(t("confirm_discard"))) return;
    await saving;
    await db.remove("drafts", draft.wave_id);
    window.location.hash = "#/";
  });

  const nodes = [
    h(
      "div",
      { class: "m-card iv-respondent" },
      h("p", { "data-testid": "respondent" }, t("respondent", { unit: draft.unit_name, group: groupLabel(draft.age_band, draft.sex) })),
      h("p", { class: "m-muted" }, t("started", { time: shortTime(draft.started_at) })),
      position,
    ),
    copy.data.definition.intro ? h("p", { class: "iv-intro" }, copy.data.definition.intro) : null,
    container,
    errors,
    finish,
    h("p", { class: "m-muted" }, t("finish_hint")),
    h("p", {}, discard),
  ];
  return {
    nodes,
    mount() {
      runner = createRunner(container, copy.data.definition, { messages: config.runner, onChange: save });
      runner.restore(draft.answers || {});
    },
  };
}

// --- the screen ---------------------------------------------------------------------------------------------

/** Render #/w/<waveId>; returns a function that stops what the screen started (the position watch). */
export async function renderInterview(waveId) {
  const stops = [];
  const stop = () => stops.splice(0).forEach((fn) => fn());
  const copy = await db.get("waves", waveId);
  if (!copy) {
    const main = show(backLink(), h("p", { class: "m-empty" }, t("unknown_wave")));
    main.dataset.view = "interview";
    main.dataset.state = "ready";
    return stop;
  }
  const title = h("h1", { class: "m-title" }, copy.data.wave.name);
  const draw = (draft) => {
    stop();
    if (draft) {
      const screen = renderQuestionnaire(copy, draft, stops);
      const main = show(backLink(), title, screen.nodes);
      screen.mount();
      main.dataset.phase = "questionnaire";
    } else {
      const main = show(backLink(), title, renderScreening(copy, start));
      main.dataset.phase = "screening";
    }
    window.scrollTo(0, 0);
  };
  const start = async ({ stratum, ageBand, sex, phone }) => {
    const draft = {
      wave_id: waveId,
      client_id: uuid(),
      stratum_id: stratum.id,
      unit_name: stratum.unit.name,
      age_band: ageBand,
      sex,
      resident: true,
      phone,
      started_at: isoLocal(serverNow()),
      start_fix: fixOf(geo.currentFix()),
      answers: {},
      seconds: {},
    };
    await db.put("drafts", draft);
    draw(draft);
  };
  draw(await db.get("drafts", waveId));
  const main = document.getElementById("app");
  main.dataset.view = "interview";
  main.dataset.state = "ready";
  return stop;
}
