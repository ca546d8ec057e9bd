// 今日任务: the rounds in progress with each team's route, from the last downloaded copy.

import * as db from "./db.js";
import { draftKey, h, show, shortTime, t } from "./ui.js";

/** What the phone knows about one site: todo, draft, outbox, error or done (and the visit's client_id). */
export function siteStatus(round, site, drafts, outbox) {
  const key = draftKey(round.id, site.site_id);
  const queued = outbox.find((e) => e.key === key);
  if (queued) return { status: queued.state === "error" ? "error" : "outbox", clientId: queued.client_id };
  if (site.visit && site.visit.status !== "sent_back") return { status: "done", clientId: site.visit.client_id };
  if (drafts.some((d) => d.key === key)) return { status: "draft", clientId: "" };
  return { status: "todo", clientId: "" };
}

const STATUS_LABEL = {
  todo: "status_todo",
  draft: "status_draft",
  outbox: "status_outbox",
  error: "status_error",
  done: "status_done",
};

function navLinks(site) {
  if (site.lat == null || site.lng == null) return [];
  const name = encodeURIComponent(site.name);
  const geo = `geo:${site.lat},${site.lng}?q=${site.lat},${site.lng}(${name})`;
  const amap =
    `https://uri.amap.com/marker?position=${site.lng},${site.lat}&name=${name}` +
    "&coordinate=wgs84&callnative=1&src=chuangwen";
  return [
    h("a", { class: "m-btn m-btn--nav", href: geo, "data-nav": "geo" }, t("navigate")),
    h("a", { class: "m-link-small", href: amap, target: "_blank", rel: "noopener" }, t("amap")),
  ];
}

function siteRow(round, site, typeName, state) {
  const href = `#/r/${round.id}/s/${site.site_id}`;
  return h(
    "li",
    {
      class: "m-site",
      dataset: { site: site.site_id, round: round.id, status: state.status, clientId: state.clientId },
    },
    h("span", { class: "m-site__order", "aria-hidden": "true" }, site.route_order ?? ""),
    h(
      "a",
      { class: "m-site__main", href },
      h("span", { class: "m-site__name" }, site.name),
      h("span", { class: "m-site__meta" }, [site.code, typeName].filter(Boolean).join(" · ")),
      site.address ? h("span", { class: "m-site__addr" }, site.address) : null,
    ),
    h(
      "span",
      { class: "m-site__side" },
      h("span", { class: `m-chip m-chip--${state.status}` }, t(STATUS_LABEL[state.status])),
      ...navLinks(site),
    ),
  );
}

function roundCard(round, drafts, outbox) {
  const team = round.team ? `${round.team.name}（${(round.team.members || []).join("、")}）` : "";
  const sites = [...(round.sites || [])].sort((a, b) => (a.route_order ?? 0) - (b.route_order ?? 0));
  const typeName = (code) => round.site_types?.[code]?.name || code;
  return h(
    "section",
    { class: "m-card m-round", dataset: { round: round.id } },
    h("h2", {}, round.name, " ", h("span", { class: "m-chip m-chip--kind" }, t(`kind_${round.kind}`))),
    h(
      "p",
      { class: "m-muted" },
      t("period", { start: round.period_start, end: round.period_end }),
      team ? ` · ${team}` : "",
      round.max_distance_m ? ` · ${t("max_distance", { m: round.max_distance_m })}` : "",
    ),
    sites.length
      ? h("ol", { class: "m-sites" }, sites.map((s) => siteRow(round, s, typeName(s.site_type), siteStatus(round, s, drafts, outbox))))
      : h("p", { class: "m-empty" }, t("no_sites")),
  );
}

export async function renderToday() {
  const copy = await db.get("assignments", "current");
  const drafts = await db.getAll("drafts");
  const outbox = await db.getAll("outbox");
  const rounds = copy?.data?.rounds || [];
  const heading = h("h1", { class: "m-title" }, t("today"));
  const fetched = copy ? h("p", { class: "m-muted m-fetched" }, t("fetched_at", { time: shortTime(copy.fetched_at) })) : null;
  let body;
  if (!copy) body = [h("p", { class: "m-empty" }, t("no_copy"))];
  else if (!rounds.length) body = [h("p", { class: "m-empty" }, t("no_rounds"))];
  else body = rounds.map((round) => roundCard(round, drafts, outbox));
  const main = show(...[heading, fetched, ...body].filter(Boolean));
  main.dataset.view = "today";
  main.dataset.state = "ready";
}
