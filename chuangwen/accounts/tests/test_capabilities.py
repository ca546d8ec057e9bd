"""The navigation asks the same capabilities as the views: for every role, every link the nav (and the case
list's action bar) shows opens, and every page of the nav that the role may open is shown to it."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse

from chuangwen.accounts.models import Role
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db

# Every destination the nav may offer (the notice inbox and the admin included).
NAV_PAGES = [
    "home", "org:tree", "sites:list", "cases:list", "standards:list", "rounds:list",
    "dashboards:overview", "report_triage:list", "rankings:list", "notify:inbox", "admin:index",
    "volunteers:hub", "volunteer_public:me",
]  # fmt: skip
CASE_VIEWS = ["cases:board", "cases:disputes", "cases:instruction_new", "cases:hotline", "cases:map"]


class Links(HTMLParser):
    """The hrefs inside the element with the given tag and class or id."""

    def __init__(self, tag: str, marker: str) -> None:
        super().__init__()
        self.tag, self.marker, self.depth = tag, marker, 0
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.depth:
            if tag == self.tag:
                self.depth += 1
            href = values.get("href")
            if tag == "a" and href:
                self.hrefs.append(href)
        elif tag == self.tag and self.marker in [*(values.get("class") or "").split(), values.get("id")]:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == self.tag:
            self.depth -= 1


def links(html: str, tag: str, marker: str) -> list[str]:
    parser = Links(tag, marker)
    parser.feed(html)
    return [href.split("?")[0] for href in parser.hrefs]


def people(users: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    """One of each role, plus a coordinator without a unit (the dashboards need one)."""
    return {
        **users,
        "volunteer": make_user("vol", Role.VOLUNTEER, org["west"]),
        "unitless_coordinator": make_user("coord_nounit", Role.COORDINATOR, None),
    }


@pytest.mark.parametrize(
    "who",
    ["coordinator", "leader", "admin", "inspector", "verifier", "west_head", "west_handler", "dept_handler",
     "volunteer", "unitless_coordinator"],
)  # fmt: skip
def test_it_shows_each_role_exactly_the_pages_it_may_open(users: Any, org: Any, who: str) -> None:
    user = people(users, org)[who]
    client = client_for(user)
    home = client.get(reverse("home"))
    assert home.status_code == 200
    shown = set(links(home.content.decode(), "nav", "cw-nav"))
    assert_offers_exactly_what_opens(client, who, "the nav", shown, NAV_PAGES)
    if reverse("cases:list") in shown:
        listing = client.get(reverse("cases:list")).content.decode()
        offered = set(links(listing, "div", "case-views"))
        assert_offers_exactly_what_opens(client, who, "the case list", offered, CASE_VIEWS)


def assert_offers_exactly_what_opens(
    client: Any, who: str, where: str, offered: set[str], names: list[str]
) -> None:
    for name in names:
        url = reverse(name)
        status = client.get(url).status_code
        if url in offered:
            assert status == 200, f"{who}: {where} offers {url} but it answers {status}"
        else:
            assert status != 200, f"{who}: may open {url} but {where} hides it"
