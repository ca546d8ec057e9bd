// The self-completion page (/q/<token>/): screening first (age band, sex, half a year's residence; a full quota
// cell is announced before anyone answers), then the questionnaire (runner.js), an optional phone number and,
// beyond the address's threshold, a captcha. The answers go as JSON to the page's submit URL with a client id
// kept in sessionStorage, so pressing "提交问卷" again after a network error never stores them twice.
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

const SCREENING = ["age_band", "sex", "resident", "phone", "captcha"];
const form = document.getElementById("survey-form");
if (form) start(form);

function start(form) {
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const $ = (id) => document.getElementById(id);
  const definition = read("survey-definition");
  const config = read("survey-config");
  const strings = read("survey-strings");
  const clock = serverClock(config.server_now);
  const ids = clientIdStore(`cw-survey:${config.token}`);
  ids.current();
  let openCells = new Set(config.open_cells);
  const runner = createRunner($("questionnaire"), definition, { messages: strings.runner });
  const began = firstTouch(form);
  const body = $("survey-body");
  const gate = $("screening-hint");
  const full = $("cell-full");
  const formError = $("form-error");
  const button = $("submit");
  const csrf = form.elements.namedItem("csrfmiddlewaretoken").value;

  const ageBand = () => form.elements.namedItem("age_band").value;
  const sex = () => form.querySelector("input[name=sex]:checked")?.value || "";
  const resident = () => $("resident").checked;
  const captchaShown = () => !$("field-captcha").hidden;

  // The questionnaire opens once the screening is done and the person's cell still takes answers.
  function screen() {
    const age = ageBand();
    const group = `${strings.labels.age_bands[age] || age}${strings.labels.sexes[sex()] || ""}`;
    const cellFull = age && sex() && !openCells.has(`${age}|${sex()}`);
    if (openCells.size === 0) say(full, strings.all_full);
    else say(full, cellFull ? strings.cell_full.replace("%(group)s", group) : "");
    const open = Boolean(age && sex() && resident() && !cellFull && openCells.size > 0);
    body.hidden = !open;
    gate.hidden = open || !full.hidden;
  }

  form.addEventListener("change", (event) => {
    const field = event.target.name;
    if (SCREENING.includes(field)) clearFieldError(field);
    if (["age_band", "sex", "resident"].includes(field)) screen();
  });
  screen();

  function showCaptcha(image) {
    $("field-captcha").hidden = false;
    $("captcha-image").src = image;
    $("captcha").value = "";
  }

  // The page's own fields the browser can check (the server checks everything again).
  function checkOwnFields() {
    const phone = $("phone").value.trim();
    let message = null;
    if (phone && !isPhone(phone)) message = strings.phone;
    else if (!phone && !navigator.cookieEnabled) message = strings.phone_needed;
    if (message) showFieldError("phone", message);
    return message === null;
  }

  function showServerErrors(errors) {
    const rest = runner.showErrors(errors || {});
    const other = [];
    for (const [field, messages] of Object.entries(rest)) {
      if (!showFieldError(field, messages)) other.push(...messages);
    }
    const answersWrong = Object.keys(errors || {}).some((field) => field.startsWith("answers."));
    say(formError, other.length ? other.join("；") : answersWrong ? strings.check : "");
    const first = form.querySelector("[aria-invalid=true], .cw-q-error:not([hidden])");
    if (first) first.scrollIntoView({ block: "center" });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearFieldErrors(form);
    say(formError, "");
    const invalid = runner.validate();
    const ownOk = checkOwnFields();
    if (invalid.length || !ownOk) {
      say(formError, strings.check);
      return;
    }
    const payload = {
      client_id: ids.current(),
      age_band: ageBand(),
      sex: sex(),
      resident: resident(),
      answers: runner.answers(),
      started_at: clock.iso(began.get(runner.startedAt)),
      submitted_at: clock.iso(new Date()),
      paradata: { ...runner.paradata(), clock_offset_s: clock.offsetSeconds },
      phone: $("phone").value.trim(),
    };
    if (captchaShown()) payload.captcha = $("captcha").value.trim();
    button.disabled = true;
    button.textContent = strings.sending;
    const { status, data } = await postJson(config.submit_url, payload, csrf);
    button.disabled = false;
    button.textContent = strings.submit;
    if (status === 201 || status === 200) {
      ids.forget();
      form.hidden = true;
      $("thanks").hidden = false;
      $("thanks").focus();
      window.scrollTo(0, 0);
      return;
    }
    if (data && data.captcha) showCaptcha(data.captcha);
    if (status === 422 && data && data.errors) {
      showServerErrors(data.errors);
    } else if (status === 409 && data) {
      say(formError, data.detail);
      if (Array.isArray(data.open_cells)) {
        openCells = new Set(data.open_cells);
        screen();
      }
    } else if (status === 429 && data) {
      say(formError, data.detail);
    } else if (status === 0) {
      say(formError, strings.network);
    } else if (status === 403) {
      say(formError, strings.expired);
    } else {
      say(formError, (data && data.detail) || strings.server);
    }
  });
}
