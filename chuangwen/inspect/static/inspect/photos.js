// Photos: taken with the camera, downscaled on the phone to JPEG, stored with position and time.

import * as db from "./db.js";
import { currentFix } from "./geo.js";
import { config, h, isoLocal, t, toast, uuid } from "./ui.js";

class PhotoError extends Error {}

async function decode(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    const url = URL.createObjectURL(file);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return img;
    } catch {
      throw new PhotoError("photo_failed");
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}

/** Scale so the long side is at most `longSide` pixels and encode as JPEG. */
export async function downscale(file, longSide = config.photo_long_side, quality = config.photo_quality) {
  const source = await decode(file);
  const width = source.naturalWidth || source.width;
  const height = source.naturalHeight || source.height;
  const scale = Math.min(1, longSide / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  source.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  if (!blob) throw new PhotoError("photo_failed");
  return { blob, width: canvas.width, height: canvas.height };
}

function captureTime(file) {
  const now = Date.now();
  const limit = (config.stale_photo_minutes || 15) * 60000;
  if (file.lastModified && now - file.lastModified > limit) throw new PhotoError("photo_stale");
  return new Date(file.lastModified && file.lastModified <= now ? file.lastModified : now);
}

/** Downscale and store one photo with the phone's position and time at capture. */
export async function addPhoto(file, meta) {
  const captured = captureTime(file);
  const fix = currentFix();
  const { blob, width, height } = await downscale(file);
  const record = {
    client_id: uuid(),
    owner: meta.owner,
    kind: meta.kind,
    item_code: meta.itemCode ?? null,
    round_id: meta.roundId,
    site_id: meta.siteId,
    blob,
    width,
    height,
    captured_at: isoLocal(captured),
    lat: fix?.lat ?? null,
    lng: fix?.lng ?? null,
    accuracy: fix?.accuracy ?? null,
    uploaded: false,
    rejected: null,
  };
  await db.put("photos", record);
  return record;
}

/** The stored photos of one draft, optionally only those of one kind / check item. */
export async function photosOf(owner, kind = null, itemCode = undefined) {
  const all = await db.getByIndex("photos", "owner", owner);
  return all.filter((p) => (kind === null || p.kind === kind) && (itemCode === undefined || p.item_code === itemCode));
}

function thumb(photo, onRemove) {
  const url = URL.createObjectURL(photo.blob);
  const img = h("img", { src: url, alt: "", loading: "lazy" });
  img.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
  const remove = async () => {
    if (!window.confirm(t("confirm_remove_photo"))) return;
    await db.remove("photos", photo.client_id);
    onRemove();
  };
  return h(
    "figure",
    { class: `m-thumb${photo.rejected ? " m-thumb--rejected" : ""}`, dataset: { photo: photo.client_id } },
    img,
    onRemove ? h("button", { type: "button", class: "m-thumb__remove", "aria-label": t("remove_photo"), onclick: remove }, "×") : null,
    photo.rejected ? h("figcaption", {}, t("photo_rejected", { detail: photo.rejected })) : null,
  );
}

function cameraIcon() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "m-icon");
  // Built node by node like every other element of the app: no markup strings parsed into the page.
  const shapes = [
    ["path", { d: "M4 7h3l2-3h6l2 3h3a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1z", "stroke-linejoin": "round" }],
    ["circle", { cx: "12", cy: "13", r: "4" }],
  ];
  for (const [tag, attrs] of shapes) {
    const shape = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries({ ...attrs, fill: "none", stroke: "currentColor", "stroke-width": "2" })) {
      shape.setAttribute(name, value);
    }
    svg.append(shape);
  }
  return svg;
}

async function handleFiles(input, meta, refresh, status) {
  const files = [...input.files];
  input.value = "";
  status.textContent = t("photo_processing");
  for (const file of files) {
    try {
      await addPhoto(file, meta);
    } catch (error) {
      toast(error instanceof PhotoError ? t(error.message) : t("photo_failed"), "error");
    }
  }
  status.textContent = "";
  await refresh();
}

/**
 * Thumbnails plus a camera button for one draft (and check item). `onChange(count)` runs after every
 * photo added or removed. `readOnly` shows the thumbnails only.
 */
export function photoField(meta, onChange = () => {}, readOnly = false) {
  const thumbs = h("div", { class: "m-thumbs" });
  const status = h("span", { class: "m-photo-status", role: "status" });
  const refresh = async () => {
    const photos = await photosOf(meta.owner, meta.kind, meta.itemCode ?? null);
    thumbs.replaceChildren(...photos.map((p) => thumb(p, readOnly ? null : refresh)));
    onChange(photos.length);
  };
  const input = h("input", {
    type: "file",
    accept: "image/*",
    capture: "environment",
    class: "m-visually-hidden",
    dataset: { capture: meta.itemCode ?? meta.kind },
  });
  input.addEventListener("change", () => handleFiles(input, meta, refresh, status));
  const button = readOnly ? null : h("label", { class: "m-btn m-btn--photo" }, cameraIcon(), t("take_photo"), input);
  refresh();
  return h("div", { class: "m-photos" }, thumbs, button, status);
}
