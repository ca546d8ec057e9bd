// Logging out clears this browser's stored data (Clear-Site-Data), including what the phone apps keep
// offline. Before the person confirms, count what the apps still hold unsent — every IndexedDB database of
// the origin with an "outbox" store (the inspection app, the survey interviewer app) — and say so.

function open(name) {
  return new Promise((resolve) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
    request.onupgradeneeded = () => request.transaction.abort(); // never create a database here
  });
}

function unsent(db) {
  return new Promise((resolve) => {
    if (!db || !db.objectStoreNames.contains("outbox")) return resolve(0);
    const request = db.transaction("outbox").objectStore("outbox").getAll();
    request.onsuccess = () => resolve(request.result.filter((entry) => entry.state !== "sent").length);
    request.onerror = () => resolve(0);
  });
}

async function count() {
  if (!indexedDB.databases) return 0;
  let total = 0;
  for (const { name } of await indexedDB.databases()) {
    const db = await open(name);
    total += await unsent(db);
    if (db) db.close();
  }
  return total;
}

const warning = document.getElementById("unsent-warning");
if (warning) {
  count().then((n) => {
    if (n > 0) {
      warning.querySelector("[data-count]").textContent = String(n);
      warning.hidden = false;
    }
  });
}
