// The phone's position: one watchPosition for the whole app, the last fix, and distances.

let watchId = null;
let lastFix = null;
let lastError = null;
const listeners = new Set();

function notify() {
  for (const listener of listeners) listener(lastFix, lastError);
}

function onPosition(position) {
  const { latitude, longitude, accuracy } = position.coords;
  lastFix = { lat: latitude, lng: longitude, accuracy, at: position.timestamp || Date.now() };
  lastError = null;
  notify();
}

function onError(error) {
  lastError = error.code === 1 ? "denied" : "unavailable";
  notify();
}

/** Start watching (once); calls `listener(fix, error)` now and on every change; returns an unsubscribe. */
export function watch(listener) {
  if (!("geolocation" in navigator)) {
    lastError = "unsupported";
  } else if (watchId === null) {
    watchId = navigator.geolocation.watchPosition(onPosition, onError, {
      enableHighAccuracy: true,
      maximumAge: 10000,
      timeout: 30000,
    });
  }
  listeners.add(listener);
  listener(lastFix, lastError);
  return () => listeners.delete(listener);
}

/** The last fix {lat, lng, accuracy, at} or null. */
export function currentFix() {
  return lastFix;
}

/** Great-circle distance in metres (haversine, WGS-84 mean radius). */
export function distanceM(lat1, lng1, lat2, lng2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLng = (lng2 - lng1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Distance from a fix to a site, rounded to metres, or null without a fix or site position. */
export function distanceToSite(fix, site) {
  if (!fix || site?.lat == null || site?.lng == null) return null;
  return Math.round(distanceM(fix.lat, fix.lng, site.lat, site.lng));
}
