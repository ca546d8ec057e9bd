// 测评: one site's visit — position, protocol, checklist or exception, then submission to the outbox.

import { itemCard, validate } from "./checklist.js";
import * as db from "./db.js";
import * as geo from "./geo.js";
import { photoField, photosOf } from "./photos.js";
import * as sync from "./sync.js";
import { draftKey, h, isoLocal, show, t, uuid } from "./ui.js";

async function findSite(roundId, siteId) {
  const copy = await db.get("assignments", "current");
  const round = copy?.data?.rounds?.find((r) => r.id === roundId);
  const site = round?.sites?.find((s) => s.site_id === siteId);
  return { round, site, siteType: site ? round.site_types?.[site.site_type] : null };
}

function newDraft(round, site) {
  return {
    key: draftKey(round.id, site.site_id),
    client_id: uuid(),
    round_id: round.id,
    site_id: site.site_id,
    outcome: "done",
    judgements: {},
    exception_reason: "",
    far_reason: "",
    note: "",
    started_at: isoLocal(),
  };
}

function header(site, siteType) {
  return h(
    "header",
    { class: "m-visit__head" },
    h("a", { class: "m-back", href: "#/" }, `‹ ${t("back")}`),
    h("h1", { class: "m-title" }, site.name),
    h("p", { class: "m-muted" }, [site.code, siteType?.name].filter(Boolean).join(" · ")),
    site.address ? h("p", { class: "m-muted" }, site.address) : null,
  );
}

function textField(label, value, onInput, attrs = {}) {
  const id = `f-${Math.random().toString(36).slice(2, 9)}`;
  return h(
    "div",
    { class: "m-field" },
    h("label", { for: id }, label),
    h("textarea", { id, rows: 2, maxlength: 500, value, oninput: (e) => onInput(e.target.value), ...attrs }),
  );
}

const GEO_ERRORS = { denied: "geo_denied", unsupported: "geo_unsupported", unavailable: "no_position" };

/** The position card: accuracy, distance to the site and, when too far or unknown, the reason field. */
function positionCard(ctx) {
  const line = h("p", { class: "m-position__line", "data-testid": "position" }, t("locating"));
  const warn = h("p", { class: "m-position__warn" });
  const reason = textField(t("far_reason"), ctx.draft.far_reason, (v) => {
    ctx.draft.far_reason = v;
    ctx.save();
  }, { name: "far_reason", placeholder: t("far_reason_hint") });
  const card = h("section", { class: "m-card m-position" }, line, warn, reason);
  const update = (fix, error) => {
    const max = Number(ctx.round.max_distance_m) || 0;
    const distance = geo.distanceToSite(fix, ctx.site);
    const far = Boolean(max) && distance != null && distance > max;
    ctx.position = { distance, max, needsReason: distance == null || far };
    if (fix) {
      const parts = [t("accuracy", { m: Math.round(fix.accuracy) })];
      if (distance != null) parts.push(t("distance", { m: distance }));
      line.textContent = parts.join(" · ");
    } else {
      line.textContent = error ? t(GEO_ERRORS[error] || "no_position") : t("locating");
    }
    warn.textContent = far ? t("too_far", { max }) : "";
    card.dataset.far = far ? "true" : "false";
    const asked = far || Boolean(error && !fix) || ctx.triedSubmit;
    reason.hidden = !(asked && ctx.position.needsReason) && !ctx.draft.far_reason;
  };
  ctx.cleanup.push(geo.watch(update));
  ctx.refreshPosition = () => update(geo.currentFix(), null);
  return card;
}

function progressLine(ctx) {
  const el = h("p", { class: "m-progress", "data-testid": "progress" });
  ctx.updateProgress = () => {
    const done = ctx.items.filter((i) => ctx.draft.judgements[i.code]?.result).length;
    el.textContent = t("progress", { done, total: ctx.items.length });
  };
  ctx.updateProgress();
  return el;
}

function checklistSection(ctx) {
  return [
    h(
      "section",
      { class: "m-card m-protocol" },
      h("h2", {}, t("protocol")),
      h("p", { "data-testid": "protocol" }, ctx.siteType?.protocol || "—"),
    ),
    h("h2", { class: "m-subtitle" }, t("checklist"), " ", progressLine(ctx)),
    h("div", { class: "m-items" }, ctx.items.map((item, index) => itemCard(item, index, ctx))),
  ];
}

function exceptionSection(ctx, redraw) {
  const setOutcome = (outcome) => {
    ctx.draft.outcome = outcome;
    ctx.save();
    redraw();
  };
  if (ctx.draft.outcome === "done") {
    return h(
      "section",
      { class: "m-card m-exception" },
      h("h2", {}, t("exception_title")),
      h(
        "div",
        { class: "m-row" },
        h("button", { type: "button", class: "m-btn m-btn--secondary", dataset: { outcome: "refused" }, onclick: () => setOutcome("refused") }, t("refused")),
        h("button", { type: "button", class: "m-btn m-btn--secondary", dataset: { outcome: "not_possible" }, onclick: () => setOutcome("not_possible") }, t("not_possible")),
      ),
    );
  }
  const kind = t(ctx.draft.outcome);
  return h(
    "section",
    { class: "m-card m-exception m-exception--active", dataset: { outcome: ctx.draft.outcome } },
    h("h2", {}, kind),
    textField(t("exception_reason", { kind }), ctx.draft.exception_reason, (v) => {
      ctx.draft.exception_reason = v;
      ctx.save();
    }, { name: "exception_reason" }),
    h("p", { class: "m-label" }, t("exception_photos")),
    photoField({ ...ctx.meta, kind: "exception", itemCode: null }, ctx.onPhotos),
    h("button", { type: "button", class: "m-btn m-btn--secondary", onclick: () => setOutcome("done") }, t("back_to_normal")),
  );
}

async function photoCounts(key) {
  const counts = {};
  for (const photo of await photosOf(key)) {
    if (photo.rejected) continue; // refused by the server: must be taken again
    const slot = photo.kind === "exception" ? "exception" : photo.item_code;
    counts[slot] = (counts[slot] || 0) + 1;
  }
  return counts;
}

function judgementPayload(item, judgement, photos) {
  const failing = judgement.result === "not_conforming";
  return {
    item_code: item.code,
    result: judgement.result,
    count: failing ? (item.mode === "per_occurrence" ? judgement.count : 1) : 0,
    note: judgement.note || "",
    photo_ids: failing ? photos.filter((p) => p.kind === "problem" && p.item_code === item.code).map((p) => p.client_id) : [],
  };
}

/** The visit as the API wants it (docs/inspection-api.md §3), with the position at submission. */
function buildPayload(ctx, photos, fix) {
  const { draft } = ctx;
  const done = draft.outcome === "done";
  return {
    client_id: draft.client_id,
    round_id: draft.round_id,
    site_id: draft.site_id,
    outcome: draft.outcome,
    exception_reason: done ? "" : draft.exception_reason.trim(),
    exception_photo_ids: done ? [] : photos.filter((p) => p.kind === "exception").map((p) => p.client_id),
    lat: fix ? fix.lat : null,
    lng: fix ? fix.lng : null,
    accuracy: fix ? Math.round(fix.accuracy * 10) / 10 : null,
    coord_system: "WGS-84",
    far_reason: draft.far_reason.trim(),
    note: draft.note.trim(),
    started_at: draft.started_at,
    finished_at: isoLocal(),
    judgements: done ? ctx.items.map((item) => judgementPayload(item, draft.judgements[item.code], photos)) : [],
  };
}

function showErrors(ctx, errors, scroll = true) {
  ctx.errorBox.replaceChildren(
    ...(errors.length ? [h("p", {}, t("fix_errors")), h("ul", {}, errors.map((e) => h("li", {}, e.msg)))] : []),
  );
  ctx.errorBox.hidden = !errors.length;
  for (const card of document.querySelectorAll(".m-item")) {
    card.dataset.invalid = errors.some((e) => e.code === card.dataset.code) ? "true" : "false";
  }
  if (errors.length && scroll) ctx.errorBox.scrollIntoView({ behavior: "smooth", block: "center" });
}

/** After a refused submission, keep the list of problems current while the inspector fixes them. */
async function recheck(ctx) {
  if (!ctx.triedSubmit) return;
  ctx.refreshPosition();
  showErrors(ctx, validate(ctx.draft, ctx.items, await photoCounts(ctx.key), ctx.position), false);
}

async function submit(ctx) {
  ctx.triedSubmit = true;
  ctx.refreshPosition();
  const errors = validate(ctx.draft, ctx.items, await photoCounts(ctx.key), ctx.position);
  showErrors(ctx, errors);
  if (errors.length) return;
  const photos = await photosOf(ctx.key);
  const payload = buildPayload(ctx, photos.filter((p) => !p.rejected), geo.currentFix());
  const cited = [...payload.exception_photo_ids, ...payload.judgements.flatMap((j) => j.photo_ids)];
  for (const photo of photos) if (!cited.includes(photo.client_id)) await db.remove("photos", photo.client_id);
  await db.moveDraftToOutbox(ctx.key, {
    client_id: payload.client_id,
    key: ctx.key,
    round_id: payload.round_id,
    site_id: payload.site_id,
    payload,
    photo_ids: cited,
    draft: { ...ctx.draft },
    state: "pending",
    errors: [],
    queued_at: isoLocal(),
  });
  window.location.hash = "#/";
  sync.sync();
}

async function discard(ctx) {
  if (!window.confirm(t("confirm_discard"))) return;
  for (const photo of await photosOf(ctx.key)) await db.remove("photos", photo.client_id);
  await db.remove("drafts", ctx.key);
  window.location.hash = "#/";
}

function footer(ctx) {
  ctx.errorBox = h("div", { class: "m-errors", role: "alert", hidden: true, "data-testid": "errors" });
  const saved = h("span", { class: "m-saved", "data-testid": "saved" });
  ctx.flashSaved = () => {
    saved.textContent = t("saved");
  };
  return [
    textField(t("visit_note"), ctx.draft.note, (v) => {
      ctx.draft.note = v;
      ctx.save();
    }, { name: "visit_note" }),
    ctx.errorBox,
    h("button", { type: "button", class: "m-link-danger", onclick: () => discard(ctx) }, t("discard")),
    h(
      "div",
      { class: "m-submitbar" },
      h("button", { type: "button", class: "m-btn m-btn--submit", "data-testid": "submit", onclick: () => submit(ctx) }, t("submit")),
      h("span", { class: "m-submitbar__hint" }, saved, " ", t("submit_hint")),
    ),
  ];
}

function drawForm(ctx) {
  const redraw = () => drawForm(ctx);
  const main = show(
    header(ctx.site, ctx.siteType),
    positionCard(ctx),
    ...(ctx.draft.outcome === "done" ? checklistSection(ctx) : []),
    exceptionSection(ctx, redraw),
    ...footer(ctx),
  );
  main.dataset.view = "visit";
  main.dataset.state = "ready";
}

async function openForm(round, site, siteType) {
  const key = draftKey(round.id, site.site_id);
  const draft = (await db.get("drafts", key)) || newDraft(round, site);
  const ctx = { round, site, siteType, key, draft, items: siteType?.items || [], cleanup: [], triedSubmit: false };
  ctx.meta = { owner: key, roundId: round.id, siteId: site.site_id };
  ctx.save = () => {
    draft.updated_at = isoLocal();
    db.put("drafts", draft).then(() => ctx.flashSaved?.());
    ctx.updateProgress?.();
    recheck(ctx);
  };
  ctx.onPhotos = () => recheck(ctx);
  drawForm(ctx);
  return () => ctx.cleanup.forEach((stop) => stop());
}

function rerender() {
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

async function backToDraft(entry) {
  await db.put("drafts", { ...entry.draft, updated_at: isoLocal() });
  await db.remove("outbox", entry.client_id);
  await sync.render();
  rerender();
}

async function dropRefused(entry) {
  if (!window.confirm(t("confirm_discard"))) return;
  for (const photo of await photosOf(entry.key)) await db.remove("photos", photo.client_id);
  await db.remove("outbox", entry.client_id);
  await sync.render();
  window.location.hash = "#/";
}

/** A visit that left the form: waiting in the outbox, refused by the server, or submitted. */
function renderSent(site, siteType, entry) {
  const outcome = entry ? entry.payload.outcome : site.visit.outcome;
  const refused = entry?.state === "error";
  let body;
  if (refused) {
    body = [
      h("p", { class: "m-error" }, t("server_refused")),
      h("ul", { class: "m-errors-list" }, entry.errors.map((e) => h("li", {}, e))),
      h("button", { type: "button", class: "m-btn", "data-testid": "edit-again", onclick: () => backToDraft(entry) }, t("edit_again")),
      h("button", { type: "button", class: "m-link-danger", onclick: () => dropRefused(entry) }, t("discard")),
    ];
  } else if (entry) {
    body = [h("p", {}, t("queued"))];
  } else {
    body = [h("p", {}, t("submitted")), site.visit.score != null ? h("p", {}, t("score", { score: site.visit.score })) : null];
  }
  const status = refused ? "error" : entry ? "outbox" : "done";
  const main = show(
    header(site, siteType),
    h(
      "section",
      { class: "m-card m-sent", dataset: { status } },
      h("h2", {}, h("span", { class: `m-chip m-chip--${status}` }, t(`status_${status}`)), " ", t(`outcome_${outcome || "done"}`)),
      ...body,
    ),
  );
  main.dataset.view = "sent";
  main.dataset.state = "ready";
}

/** Open the visit of one site; returns a function that stops what the screen started (position watch). */
export async function renderVisit(roundId, siteId) {
  const { round, site, siteType } = await findSite(roundId, siteId);
  if (!site) {
    show(h("a", { class: "m-back", href: "#/" }, `‹ ${t("back")}`), h("p", { class: "m-empty" }, t("unknown_site")));
    return () => {};
  }
  const [entry] = await db.getByIndex("outbox", "key", draftKey(round.id, site.site_id));
  if (entry || (site.visit && site.visit.status !== "sent_back")) {
    renderSent(site, siteType, entry);
    return () => {};
  }
  return openForm(round, site, siteType);
}
