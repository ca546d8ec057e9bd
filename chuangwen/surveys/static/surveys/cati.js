// The phone-interview (CATI) script page: the respondent's community, age band, sex, residence and phone number,
// the questionnaire (runner.js), and a submit that posts JSON to the page's submit URL. A full quota cell or
// community is announced as soon as it is chosen. After a stored interview the form resets for the next call
// (a new client id, a fresh questionnaire) and the count of today's phone interviews goes up; a resend after a
// network error carries the same client id, so an interview is never stored twice.
import { createRunner } from "./runner.js";
import {
  clearFieldError,
  clearFieldErrors,
  clientIdStore,
  firstTouch,
  isPhone,
  postJson,
  say,
  serverClock,
  showFieldError,
} from "./intake.js";

const OWN_FIELDS = ["stratum", "age_band", "sex", "resident", "phone"];
const form = document.getElementById("cati-form");
if (form) start(form);

function start(form) {
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const $ = (id) => document.getElementById(id);
  const definition = read("cati-definition");
  const config = read("cati-config");
  const strings = read("cati-strings");
  const clock = serverClock(config.server_now);
  const ids = clientIdStore(`cw-cati:${config.wave}`);
  ids.current();
  const strata = config.strata;
  const container = $("questionnaire");
  const full = $("cell-full");
  const formError = $("form-error");
  const ok = $("form-ok");
  const button = $("submit");
  const csrf = form.elements.namedItem("csrfmiddlewaretoken").value;
  const began = firstTouch(form);
  let runner = null;
  let blocked = false;

  function freshQuestionnaire() {
    container.replaceChildren();
    runner = createRunner(container, definition, { messages: strings.runner });
  }
  freshQuestionnaire();

  const value = (name) => form.elements.namedItem(name).value;
  const sex = () => form.querySelector("input[name=sex]:checked")?.value || "";

  // A full community or cell is said at once: the interviewer thanks the respondent and ends the call.
  function screen() {
    const stratum = strata[value("stratum")];
    const age = value("age_band");
    let message = "";
    if (stratum && stratum.open.length === 0) {
      message = strings.stratum_full.replace("%(unit)s", stratum.name);
    } else if (stratum && age && sex() && !stratum.open.includes(`${age}|${sex()}`)) {
      const group = `${strings.labels.age_bands[age] || age}${strings.labels.sexes[sex()] || ""}`;
      message = strings.cell_full.replace("%(unit)s", stratum.name).replace("%(group)s", group);
    }
    say(full, message);
    blocked = Boolean(message);
    button.disabled = blocked;
  }

  form.addEventListener("change", (event) => {
    const field = event.target.name;
    if (OWN_FIELDS.includes(field)) clearFieldError(field);
    if (["stratum", "age_band", "sex"].includes(field)) screen();
    say(ok, "");
  });

  function checkOwnFields() {
    const problems = {};
    if (!value("stratum")) problems.stratum = strings.stratum;
    if (!value("age_band")) problems.age_band = strings.age_band;
    if (!sex()) problems.sex = strings.sex;
    if (!$("resident").checked) problems.resident = strings.resident;
    const phone = value("phone").trim();
    if (!phone) problems.phone = strings.phone_needed;
    else if (!isPhone(phone)) problems.phone = strings.phone;
    for (const [field, message] of Object.entries(problems)) showFieldError(field, message);
    return Object.keys(problems).length === 0;
  }

  function showServerErrors(errors) {
    const rest = runner.showErrors(errors || {});
    const other = [];
    for (const [field, messages] of Object.entries(rest)) {
      if (!showFieldError(field, messages)) other.push(...messages);
    }
    say(formError, other.length ? other.join("；") : strings.check);
  }

  function nextCall(doneToday) {
    ids.renew();
    form.reset();
    freshQuestionnaire();
    began.reset();
    clearFieldErrors(form);
    screen();
    if (Number.isInteger(doneToday)) $("done-count").textContent = String(doneToday);
    say(ok, strings.saved);
    window.scrollTo(0, 0);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearFieldErrors(form);
    say(formError, "");
    say(ok, "");
    const invalid = runner.validate();
    const ownOk = checkOwnFields();
    if (invalid.length || !ownOk) {
      say(formError, strings.check);
      if (!ownOk) $("respondent").scrollIntoView({ block: "start" });
      return;
    }
    const payload = {
      client_id: ids.current(),
      stratum: value("stratum"),
      age_band: value("age_band"),
      sex: sex(),
      resident: $("resident").checked,
      answers: runner.answers(),
      started_at: clock.iso(began.get(runner.startedAt)),
      submitted_at: clock.iso(new Date()),
      paradata: { ...runner.paradata(), clock_offset_s: clock.offsetSeconds },
      phone: value("phone").trim(),
    };
    button.disabled = true;
    button.textContent = strings.sending;
    const { status, data } = await postJson(config.submit_url, payload, csrf);
    button.disabled = blocked;
    button.textContent = strings.submit;
    if (status === 201 || status === 200) {
      nextCall(data && data.done_today);
      return;
    }
    if (status === 422 && data && data.errors) {
      showServerErrors(data.errors);
    } else if (status === 409 && data) {
      say(formError, data.detail);
      const stratum = strata[payload.stratum];
      if (stratum && Array.isArray(data.open_cells)) {
        stratum.open = data.open_cells;
        screen();
      }
    } else if (status === 0) {
      say(formError, strings.network);
    } else if (status === 401) {
      say(formError, strings.login);
    } else if (status === 403) {
      say(formError, (data && data.detail) || strings.expired);
    } else {
      say(formError, (data && data.detail) || strings.server);
    }
  });
}
