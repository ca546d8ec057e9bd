// The checklist of a site type: one card per check item, and the local checks before submission.

import { photoField } from "./photos.js";
import { h, t } from "./ui.js";

export const RESULTS = ["conforming", "not_conforming", "not_applicable"];

function judgementOf(draft, code) {
  return draft.judgements[code] || { result: "", count: 0, note: "" };
}

function stepper(item, judgement, change) {
  const set = (n) => change({ count: Math.max(1, Math.min(999, Number(n) || 1)) });
  const input = h("input", {
    type: "number",
    inputmode: "numeric",
    min: 1,
    max: 999,
    value: judgement.count || 1,
    class: "m-stepper__value",
    "aria-label": t("count"),
    onchange: (event) => set(event.target.value),
  });
  return h(
    "div",
    { class: "m-stepper" },
    h("span", { class: "m-stepper__label" }, t("count")),
    h("button", { type: "button", class: "m-stepper__btn", "aria-label": t("decrease"), onclick: () => set((judgement.count || 1) - 1) }, "−"),
    input,
    h("button", { type: "button", class: "m-stepper__btn", "aria-label": t("increase"), onclick: () => set((judgement.count || 1) + 1) }, "+"),
    h("span", { class: "m-stepper__unit" }, item.unit_label || ""),
  );
}

function judgeButtons(judgement, change) {
  return h(
    "div",
    { class: "m-judge", role: "group" },
    RESULTS.map((result) =>
      h(
        "button",
        {
          type: "button",
          class: `m-judge__btn m-judge__btn--${result}`,
          "aria-pressed": judgement.result === result ? "true" : "false",
          dataset: { result },
          onclick: () => change({ result }),
        },
        t(result),
      ),
    ),
  );
}

/**
 * One check item. `ctx` = {draft, meta: photo metadata, save(draft)}; the card redraws itself on change.
 */
export function itemCard(item, index, ctx) {
  const card = h("article", { class: "m-item", dataset: { code: item.code } });
  const draw = () => {
    const judgement = judgementOf(ctx.draft, item.code);
    const change = (patch) => {
      const next = { ...judgement, ...patch };
      if (patch.result) next.count = patch.result === "not_conforming" ? judgement.count || 1 : 0;
      ctx.draft.judgements[item.code] = next;
      ctx.save();
      draw();
    };
    card.dataset.result = judgement.result;
    const failing = judgement.result === "not_conforming";
    const parts = [
      h(
        "header",
        { class: "m-item__head" },
        h("span", { class: "m-item__no" }, index + 1),
        h("span", { class: "m-item__cat" }, item.category),
        item.mode === "veto" ? h("span", { class: "m-chip m-chip--veto" }, t("veto")) : null,
        h("span", { class: "m-item__code" }, item.code),
      ),
      h("p", { class: "m-item__text" }, item.text),
      judgeButtons(judgement, change),
      failing && item.mode === "per_occurrence" ? stepper(item, judgement, change) : null,
      failing ? photoField({ ...ctx.meta, kind: "problem", itemCode: item.code }, ctx.onPhotos) : null,
      h("input", {
        type: "text",
        class: "m-item__note",
        placeholder: `${t("note")}（${t("note_hint")}）`,
        "aria-label": t("note"),
        maxlength: 500,
        value: judgement.note || "",
        oninput: (event) => {
          ctx.draft.judgements[item.code] = { ...judgementOf(ctx.draft, item.code), note: event.target.value };
          ctx.save();
        },
      }),
    ];
    card.replaceChildren(...parts.filter(Boolean));
  };
  draw();
  return card;
}

/**
 * Local checks before a visit goes to the outbox; the messages name the item or field.
 * `photoCounts` maps item codes (and "exception") to the number of stored photos.
 */
export function validate(draft, items, photoCounts, position) {
  const errors = [];
  if (draft.outcome === "done") {
    items.forEach((item, index) => {
      const judgement = draft.judgements[item.code];
      if (!judgement?.result) {
        errors.push({ code: item.code, msg: t("err_unjudged", { n: index + 1, code: item.code }) });
      } else if (judgement.result === "not_conforming") {
        if (item.mode === "per_occurrence" && !(judgement.count >= 1)) {
          errors.push({ code: item.code, msg: t("err_count", { code: item.code }) });
        }
        if (!photoCounts[item.code]) errors.push({ code: item.code, msg: t("err_photo", { code: item.code }) });
      }
    });
  } else {
    const kind = t(draft.outcome);
    if (!draft.exception_reason.trim()) errors.push({ code: "exception", msg: t("err_exception_reason", { kind }) });
    if (!photoCounts.exception) errors.push({ code: "exception", msg: t("err_exception_photo", { kind }) });
  }
  if (position.needsReason && !draft.far_reason.trim()) {
    const msg = position.distance == null ? t("err_no_position") : t("err_far", { m: position.distance, max: position.max });
    errors.push({ code: "position", msg });
  }
  return errors;
}
