"""Every number of the dashboards, computed in one place (docs/dashboards.md says where each comes from).

Secrecy: scores, problems and photos come from **published** rounds only, for everybody (coordinators
included), so a round under way never moves a dashboard. Every query starts from the one scoping function of
its model (``visible_to(viewer)``) and is then narrowed to the unit shown: the sites whose area unit or
responsible unit lies in the unit's subtree, the cases routed to or located in it.

- ``scope``: who may see the overview; the scoped visits, findings and cases everything starts from.
- ``indicators``: key indicators, the monthly trend, the month window, the chart labels.
- ``sites``: worst sites, problem categories, the site dossier.
- ``overview``: sub-units, open cases, the overview payload.
- ``heatmap``: the heat map and recurrence hot spots.

The names below are re-exported so callers keep writing ``services.indicators(...)`` and the like.
"""

from chuangwen.dashboards.services.heatmap import (
    DEFAULT_CELL_DEG,
    HOTSPOTS,
    MAX_POINTS,
    Hotspot,
    ProblemFilter,
    categories_in_use,
    heat_cells,
    recurrence_hotspots,
)
from chuangwen.dashboards.services.indicators import (
    DISPOSAL_DAYS,
    WINDOW_MONTHS,
    Indicators,
    chart_labels,
    indicators,
    month_keys,
    trend,
    window_start,
)
from chuangwen.dashboards.services.overview import (
    OPEN_CASES_SHOWN,
    child_rows,
    open_cases,
    overview_json,
    overview_payload,
)
from chuangwen.dashboards.services.scope import (
    published_findings,
    published_visits,
    scoped_cases,
    scored_visits,
    site_q,
)
from chuangwen.dashboards.services.sites import (
    TOP_CATEGORIES,
    WORST_SITES,
    DossierEntry,
    SiteScore,
    citizen_reports_for_site,
    site_dossier,
    top_categories,
    worst_sites,
)

__all__ = [
    "DEFAULT_CELL_DEG",
    "DISPOSAL_DAYS",
    "HOTSPOTS",
    "MAX_POINTS",
    "OPEN_CASES_SHOWN",
    "TOP_CATEGORIES",
    "WINDOW_MONTHS",
    "WORST_SITES",
    "DossierEntry",
    "Hotspot",
    "Indicators",
    "ProblemFilter",
    "SiteScore",
    "categories_in_use",
    "chart_labels",
    "child_rows",
    "citizen_reports_for_site",
    "heat_cells",
    "indicators",
    "month_keys",
    "open_cases",
    "overview_json",
    "overview_payload",
    "published_findings",
    "published_visits",
    "recurrence_hotspots",
    "scoped_cases",
    "scored_visits",
    "site_dossier",
    "site_q",
    "top_categories",
    "trend",
    "window_start",
    "worst_sites",
]
