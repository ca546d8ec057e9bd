"""Secrecy walk: before publication, a round leaves no trace for the people it inspects.

Every URL of the project (pages, API, exports, files) is fetched as a handler, unit head, leader and the other
roles outside the round, once before the secret round exists and once while it runs with a submitted visit and
its photo. Pages without parameters must answer the same; pages with an id must answer for the round's own
objects exactly what they answer for an id that does not exist.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from chuangwen.rounds.tests.visit_fixtures import done_payload
from conftest import client_for

OBSERVERS = ["west_handler", "west_head", "leader", "east_handler", "dept_handler", "verifier", "admin"]
GHOST_INT = 987654
GHOST_UUID = uuid.UUID("00000000-0000-4000-8000-000000000000")
SKIP = ("admin/", "accounts/logout/", "i18n/")
CSRF = re.compile(
    r'(csrfmiddlewaretoken" value="|csrf-token" content="|"csrfToken": "|"X-CSRFToken": "|data-csrf-token=")'
    r'[^"]+'
)
# A form's fresh idempotency key (a new one each time the form is shown, as a resend must reuse it).
CLIENT_ID = re.compile(r'(name="client_id" value=")[0-9a-f-]{36}')
# Signing the observers in between two snapshots moves their own last login (the users API shows it).
LAST_LOGIN = re.compile(r'("last_login":\s*)("[^"]*"|null)')


def routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def normalise(response: Any, *secrets: str) -> tuple[int, Any]:
    """Status and body, with per-request noise (CSRF tokens, xlsx metadata, the id asked for) removed."""
    content_type = response.get("Content-Type", "")
    body: Any = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        sheet = load_workbook(io.BytesIO(body)).active
        return response.status_code, [list(r) for r in sheet.iter_rows(values_only=True)]
    text = body.decode(errors="replace")
    text = CSRF.sub(r"\1…", text)
    text = CLIENT_ID.sub(r"\1…", text)
    text = LAST_LOGIN.sub(r"\1…", text)
    for secret in secrets:
        text = re.sub(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", "ID", text)
    return response.status_code, text


def snapshot(users: dict[str, Any], urls: list[str]) -> dict[tuple[str, str], tuple[int, Any]]:
    seen = {}
    for name in OBSERVERS:
        client = client_for(users[name])
        for url in urls:
            seen[(name, url)] = normalise(client.get(url))
    return seen


def plain_urls() -> list[str]:
    urls = ["/" + r for r in routes(get_resolver().url_patterns) if "<" not in r and not r.startswith(SKIP)]
    # Searches, filters and exports that a curious user might try.
    return [
        *urls,
        "/sites/?q=暗访",
        "/sites/?q=2026",
        "/transfer/sites/export.xlsx",
        "/transfer/units/export.xlsx",
    ]


@pytest.fixture
def secret_world(started_round: Any, users: dict[str, Any], team_inspectors: list[Any]) -> dict[str, Any]:
    """The unpublished round, with one submitted visit whose not-conforming item has a photo."""
    from chuangwen.evidence.services import PhotoMeta, ingest_photo
    from chuangwen.rounds.visits import submit_visit

    entry = started_round.entries.select_related("site", "team").first()
    inspector = entry.team.members.order_by("username").first()
    photo_id = uuid.uuid4()
    from chuangwen.demo.activity import synthetic_photo

    ingest_photo(
        synthetic_photo(__import__("random").Random(1)),
        PhotoMeta(client_id=photo_id, round_id=started_round.pk, site_id=entry.site.pk),
        inspector,
    )
    item_code = (
        started_round.standard.site_types.get(code=entry.site.site_type).items.order_by("code").first().code
    )
    visit, _ = submit_visit(
        done_payload(started_round, entry.site, failures={item_code: (1, [photo_id])}), inspector
    )
    return {"round": started_round, "entry": entry, "visit": visit, "evidence": visit.evidence.get()}


ROUND_ROUTES = ("rounds/", "visits/", "evidence/", "api/v1/inspect/", "api/v1/evidence")


def secret_url(route: str, world: dict[str, Any]) -> str:
    """The route filled with the ids of the secret round's own objects."""
    ids = {
        "public_id": str(world["round"].public_id),
        "entry_pk": str(world["entry"].pk),
        "round_id": str(world["round"].pk),
        "pk": str(world["round"].pk),
    }
    if route.startswith("visits/") and not route.startswith("visits/round/"):
        ids["pk"] = str(world["visit"].pk)
    if route.startswith("evidence/"):
        ids["pk"] = str(world["evidence"].pk)
    return "/" + PARAM.sub(lambda m: ids[m.group(2)], route)


def ghost_url(route: str) -> str:
    return "/" + PARAM.sub(lambda m: str(GHOST_UUID) if m.group(2) == "public_id" else str(GHOST_INT), route)


def test_it_leaves_no_trace_of_an_unpublished_round(
    org: Any, users: dict[str, Any], registry: Any, round_standard: Any, team_inspectors: Any, request: Any
) -> None:
    urls = plain_urls()
    before = snapshot(users, urls)
    world = request.getfixturevalue("secret_world")
    after = snapshot(users, urls)
    leaks = [key for key in before if before[key] != after[key]]
    if leaks:
        import difflib

        key = leaks[0]
        a, b = str(before[key][1]).splitlines(), str(after[key][1]).splitlines()
        print("\n".join(difflib.unified_diff(a, b, lineterm="", n=1)))
    assert not leaks, f"pages that changed when a secret round appeared: {leaks}"

    secrets = [str(world[k].pk) for k in ("round", "entry", "visit", "evidence")]
    secrets.append(str(world["round"].public_id))
    checked = 0
    for route in routes(get_resolver().url_patterns):
        if "<" not in route or not route.startswith(ROUND_ROUTES):
            continue  # pages about units, sites and standards are covered by the comparison above
        for name in OBSERVERS:
            client = client_for(users[name])
            # Both answers lose every id of either kind: a small id ("1") also stands in ordinary markup.
            ids = (*secrets, str(GHOST_INT), str(GHOST_UUID))
            got = normalise(client.get(secret_url(route, world)), *ids)
            ghost = normalise(client.get(ghost_url(route)), *ids)
            assert got == ghost, f"{name} can tell {secret_url(route, world)} from a non-existent id"
            checked += 1
    assert checked >= 10 * len(OBSERVERS)


def test_it_answers_writes_about_a_secret_round_like_writes_about_nothing(
    secret_world: dict[str, Any], users: dict[str, Any]
) -> None:
    world = secret_world
    round_, visit, entry = world["round"], world["visit"], world["entry"]
    writes = [
        (f"/rounds/{round_.pk}/draw/", f"/rounds/{GHOST_INT}/draw/", {}),
        (f"/rounds/{round_.pk}/publish/", f"/rounds/{GHOST_INT}/publish/", {"confirm_missing": "1"}),
        (f"/rounds/{round_.pk}/start/", f"/rounds/{GHOST_INT}/start/", {}),
        (f"/rounds/{round_.pk}/edit/", f"/rounds/{GHOST_INT}/edit/", {"name": "改名"}),
        (f"/rounds/{round_.pk}/delete/", f"/rounds/{GHOST_INT}/delete/", {"confirmed": "yes"}),
        (f"/rounds/{round_.pk}/draw/", f"/rounds/{GHOST_INT}/draw/", {"confirmed": "yes"}),
        (
            f"/rounds/{round_.pk}/publish/",
            f"/rounds/{GHOST_INT}/publish/",
            {"confirmed": "yes", "confirm_missing": "1"},
        ),
        (f"/visits/round/{round_.pk}/accept-clean/", f"/visits/round/{GHOST_INT}/accept-clean/", {}),
        (f"/rounds/{round_.pk}/teams/", f"/rounds/{GHOST_INT}/teams/", {}),
        (
            f"/rounds/{round_.pk}/entries/{entry.pk}/reassign/",
            f"/rounds/{GHOST_INT}/entries/{GHOST_INT}/reassign/",
            {"team": "1"},
        ),
        (f"/visits/{visit.pk}/accept/", f"/visits/{GHOST_INT}/accept/", {}),
        (f"/visits/{visit.pk}/send-back/", f"/visits/{GHOST_INT}/send-back/", {"note": "重测"}),
    ]
    for name in OBSERVERS:
        client = client_for(users[name])
        for secret_url, ghost_url, data in writes:
            ids = (str(round_.pk), str(visit.pk), str(entry.pk), str(GHOST_INT))
            got = normalise(client.post(secret_url, data), *ids)
            ghost = normalise(client.post(ghost_url, data), *ids)
            assert got == ghost, f"{name} can tell POST {secret_url} from a non-existent id"
        payload = done_payload(round_, entry.site)
        secret_visit = client.post("/api/v1/inspect/visits", payload, content_type="application/json")
        payload.update(round_id=GHOST_INT, client_id=str(uuid.uuid4()))
        ghost_visit = client.post("/api/v1/inspect/visits", payload, content_type="application/json")
        assert (secret_visit.status_code, secret_visit.json()) == (
            ghost_visit.status_code,
            ghost_visit.json(),
        )
    round_.refresh_from_db()
    assert round_.status == "in_progress" and visit.status == "submitted"
