// What the self-completion page (public.js) and the phone-interview page (cati.js) share: the client id that
// makes a resend harmless, times on the server's clock, the JSON POST and the pages' own error slots.
// Text goes into the page as text nodes only.

export function uuid4() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => (x + 0x100).toString(16).slice(1)).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// The device's clock against the server's (the page carries the server's time when it was made): times are
// sent on the server's clock, so a phone set to the wrong day is neither refused nor counted on that day.
export function serverClock(serverNowIso) {
  const server = Date.parse(serverNowIso);
  const offsetMs = Number.isFinite(server) ? Date.now() - server : 0;
  return {
    offsetSeconds: Math.round(offsetMs / 100) / 10,
    iso(date) {
      return new Date(date.getTime() - offsetMs).toISOString();
    },
  };
}

// One client id per questionnaire being answered, kept in sessionStorage (a reload or a resend after a
// network error sends the same id, which the server answers with the stored result); renewed after success.
export function clientIdStore(key) {
  let memory = null;
  function read() {
    try {
      return sessionStorage.getItem(key) || memory;
    } catch {
      return memory;
    }
  }
  function write(value) {
    memory = value;
    try {
      if (value) sessionStorage.setItem(key, value);
      else sessionStorage.removeItem(key);
    } catch {
      // storage refused (private mode): the id lives as long as the page
    }
  }
  return {
    current() {
      let id = read();
      if (!id) {
        id = uuid4();
        write(id);
      }
      return id;
    },
    renew() {
      const id = uuid4();
      write(id);
      return id;
    },
    forget() {
      write(null);
    },
  };
}

// When the person first touched the form since the last reset (the interview's start), else ``fallback``.
export function firstTouch(form) {
  let at = null;
  const mark = () => {
    if (!at) at = new Date();
  };
  form.addEventListener("input", mark, true);
  form.addEventListener("change", mark, true);
  return {
    get: (fallback) => at || fallback,
    reset: () => {
      at = null;
    },
  };
}

// {status, data}; status 0 when the request never got an answer (network down, connection dropped).
export async function postJson(url, body, csrfToken) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body),
    });
  } catch {
    return { status: 0, data: null };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { status: response.status, data };
}

export function normalisePhone(raw) {
  const phone = String(raw || "").replace(/[\s-]/g, "");
  return phone.startsWith("+86") ? phone.slice(3) : phone;
}

export function isPhone(raw) {
  return /^1[3-9]\d{9}$/.test(normalisePhone(raw));
}

// A page's own error slot for a field (#error-<field>): true when there was one.
export function showFieldError(field, messages) {
  const slot = document.getElementById(`error-${field}`);
  if (!slot) return false;
  slot.textContent = [].concat(messages).join("；");
  slot.hidden = false;
  return true;
}

export function clearFieldError(field) {
  const slot = document.getElementById(`error-${field}`);
  if (!slot) return;
  slot.textContent = "";
  slot.hidden = true;
}

export function clearFieldErrors(root) {
  for (const slot of root.querySelectorAll("[id^='error-']")) {
    slot.textContent = "";
    slot.hidden = true;
  }
}

export function say(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}
