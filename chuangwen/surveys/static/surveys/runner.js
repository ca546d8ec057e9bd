// The questionnaire runner: renders a questionnaire definition (chuangwen/surveys/definition.py) into a form,
// applies skip logic exactly as the server does (chuangwen/surveys/logic.py), and records per-question timing.
// Used by the self-completion page, the CATI script page and the interviewer's phone pages.
// Every text from the definition goes in as a text node: a question or choice label is never markup.

function isEmpty(value) {
  return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

function asNumber(value) {
  if (typeof value === "boolean" || isEmpty(value)) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function compare(op, value, literal) {
  if (Array.isArray(value)) value = value.length === 1 ? value[0] : null;
  if (isEmpty(value)) return op === "!=";
  if (typeof literal === "number") {
    const left = asNumber(value);
    if (left === null) return op === "!=";
    return { "=": left === literal, "!=": left !== literal, ">": left > literal, ">=": left >= literal,
      "<": left < literal, "<=": left <= literal }[op];
  }
  const text = String(value);
  if (op === "=") return text === literal;
  if (op === "!=") return text !== literal;
  const a = asNumber(text), b = asNumber(literal);
  if (a === null || b === null) return false;
  return { ">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b }[op];
}

// Same semantics as chuangwen.surveys.logic.evaluate.
export function evaluate(tree, answers) {
  if (!tree) return true;
  const [head, ...rest] = tree;
  if (head === "or") return rest.some((t) => evaluate(t, answers));
  if (head === "and") return rest.every((t) => evaluate(t, answers));
  if (head === "not") return !evaluate(rest[0], answers);
  if (head === "selected") {
    const value = answers[rest[0]];
    if (Array.isArray(value)) return value.map(String).includes(rest[1]);
    return !isEmpty(value) && String(value) === rest[1];
  }
  if (head === "cmp") return compare(rest[0], answers[rest[1]], rest[2]);
  return false;
}

const DEFAULT_MESSAGES = {
  required: "此题为必答题",
  number: "请填写数字",
  range: "应在 {min} 到 {max} 之间",
  multipleHint: "（可多选）",
};

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    node.setAttribute(k, v === true ? "" : String(v));
  }
  if (text !== null) node.append(document.createTextNode(String(text)));
  return node;
}

function choiceInputs(q, fieldset, onChange) {
  const type = q.kind === "multiple" ? "checkbox" : "radio";
  const list = el("div", { class: "cw-q-choices" });
  q.choices.forEach((choice, i) => {
    const id = `q-${q.code}-${i}`;
    const label = el("label", { class: "cw-q-choice", for: id });
    const input = el("input", { type, id, name: q.code, value: choice.value });
    input.addEventListener("change", () => onChange(q.code));
    label.append(input, document.createTextNode(" " + choice.label));
    list.append(label);
  });
  fieldset.append(list);
}

function valueInput(q, fieldset, onChange) {
  const id = `q-${q.code}`;
  const input = q.kind === "number"
    ? el("input", { type: "number", id, name: q.code, inputmode: "decimal", step: "any",
      min: q.min ?? null, max: q.max ?? null })
    : el("textarea", { id, name: q.code, rows: 3, maxlength: 500 });
  input.addEventListener("input", () => onChange(q.code));
  fieldset.append(input);
}

export function createRunner(container, definition, options = {}) {
  const messages = { ...DEFAULT_MESSAGES, ...(options.messages || {}) };
  const blocks = new Map(); // code → {q, fieldset, error}
  const sections = [];
  const seconds = {};
  const startedAt = new Date();
  let lastEvent = performance.now();
  let number = 0;

  function read(q) {
    const { fieldset } = blocks.get(q.code);
    if (q.kind === "multiple") {
      return [...fieldset.querySelectorAll("input:checked")].map((i) => i.value);
    }
    if (q.kind === "single" || q.kind === "scale") {
      const checked = fieldset.querySelector("input:checked");
      return checked ? checked.value : null;
    }
    const input = fieldset.querySelector("input, textarea");
    const raw = input.value.trim();
    if (q.kind === "number") return raw === "" ? null : (asNumber(raw) ?? raw);
    return raw;
  }

  // Answers of shown questions, in order; a question hidden by skip logic has no answer.
  function answers() {
    const out = {};
    for (const { section, node, questions } of sections) {
      const shown = evaluate(section.relevant, out);
      node.hidden = !shown;
      for (const q of questions) {
        const block = blocks.get(q.code);
        const visible = shown && evaluate(q.relevant, out);
        block.fieldset.hidden = !visible;
        if (!visible) continue;
        const value = read(q);
        if (!isEmpty(value)) out[q.code] = value;
      }
    }
    return out;
  }

  function changed(code) {
    const now = performance.now();
    seconds[code] = (seconds[code] || 0) + (now - lastEvent) / 1000;
    lastEvent = now;
    clear(code);
    answers();
    if (options.onChange) options.onChange(code);
  }

  function clear(code) {
    const block = blocks.get(code);
    if (!block) return;
    block.error.textContent = "";
    block.error.hidden = true;
    block.fieldset.removeAttribute("aria-invalid");
  }

  function show(code, message) {
    const block = blocks.get(code);
    if (!block) return false;
    block.error.textContent = message;
    block.error.hidden = false;
    block.fieldset.setAttribute("aria-invalid", "true");
    return true;
  }

  for (const section of definition.sections) {
    const node = el("section", { class: "cw-q-section", "data-section": section.code });
    node.append(el("h2", {}, section.title));
    const questions = [];
    for (const q of section.questions) {
      number += 1;
      const fieldset = el("fieldset", { class: "cw-q", "data-code": q.code, "data-kind": q.kind });
      const legend = el("legend", {}, `${number}. ${q.text}`);
      if (q.kind === "multiple" && !q.text.includes(messages.multipleHint)) {
        legend.append(document.createTextNode(messages.multipleHint));
      }
      if (q.required) legend.append(el("span", { class: "cw-q-required", "aria-hidden": "true" }, " *"));
      fieldset.append(legend);
      if (q.hint) fieldset.append(el("p", { class: "cw-q-hint" }, q.hint));
      if (q.choices && q.choices.length) choiceInputs(q, fieldset, changed);
      else valueInput(q, fieldset, changed);
      const error = el("p", { class: "cw-q-error", role: "alert", hidden: true });
      fieldset.append(error);
      blocks.set(q.code, { q, fieldset, error });
      questions.push(q);
      node.append(fieldset);
    }
    sections.push({ section, node, questions });
    container.append(node);
  }
  answers();

  // Checks the browser can make (the server checks everything again): required, numbers and their range.
  function validate() {
    const out = answers();
    const errors = [];
    for (const { q, fieldset } of blocks.values()) {
      if (fieldset.hidden) continue;
      clear(q.code);
      const value = out[q.code];
      let message = null;
      if (isEmpty(value)) {
        if (q.required) message = messages.required;
      } else if (q.kind === "number") {
        const n = asNumber(value);
        if (n === null) message = messages.number;
        else if ((q.min !== null && q.min !== undefined && n < q.min) || (q.max !== null && q.max !== undefined && n > q.max)) {
          message = messages.range.replace("{min}", q.min ?? "—").replace("{max}", q.max ?? "—");
        }
      }
      if (message) {
        show(q.code, message);
        errors.push({ code: q.code, message });
      }
    }
    if (errors.length) blocks.get(errors[0].code).fieldset.scrollIntoView({ block: "center" });
    return errors;
  }

  // Server errors keyed "answers.<code>" go under their question; the rest are returned for the page.
  function showErrors(errors) {
    const rest = {};
    for (const [field, list] of Object.entries(errors || {})) {
      const code = field.startsWith("answers.") ? field.slice(8) : null;
      if (!code || !show(code, list.join("；"))) rest[field] = list;
    }
    return rest;
  }

  function paradata() {
    const out = {};
    for (const [code, s] of Object.entries(seconds)) out[code] = Math.round(s * 10) / 10;
    return { seconds: out };
  }

  function restore(saved) {
    for (const [code, value] of Object.entries(saved || {})) {
      const block = blocks.get(code);
      if (!block) continue;
      const values = Array.isArray(value) ? value.map(String) : [String(value)];
      const inputs = block.fieldset.querySelectorAll("input, textarea");
      for (const input of inputs) {
        if (input.type === "radio" || input.type === "checkbox") input.checked = values.includes(input.value);
        else input.value = String(value);
      }
    }
    answers();
  }

  return { answers, validate, showErrors, paradata, restore, startedAt, evaluate };
}
