"""Cases in the admin: read-only, scoped like every page, with the history inline."""

from __future__ import annotations

from django.urls import reverse

from chuangwen.cases import services
from chuangwen.cases.models import Case
from chuangwen.cases.tests.case_fixtures import make_case
from conftest import make_user


def test_it_shows_cases_and_their_history_but_no_way_to_change_them(client, org, people):
    case = make_case("new", None, area=org["east_c"])
    services.apply(case, "reject", people["coordinator"], reason="不属于创文范围")
    client.force_login(people["admin"])
    changelist = client.get(reverse("admin:cases_case_changelist"))
    assert changelist.status_code == 200 and case.code in changelist.content.decode()
    page = client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert page.status_code == 200 and "不属于创文范围" in page.content.decode()
    assert client.get(reverse("admin:cases_case_add")).status_code == 403
    assert client.post(reverse("admin:cases_case_delete", args=[case.pk]), {"post": "yes"}).status_code == 403
    assert Case.objects.get(pk=case.pk).state == "rejected"


def test_it_hides_cases_outside_the_administrators_unit(client, org, people):
    case = make_case("dispatched", org["west"], area=org["west_c"])
    east_admin = make_user("east_admin", "admin", org["east"], is_staff=True, is_superuser=True)
    client.force_login(east_admin)
    assert case.code not in client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert client.get(reverse("admin:cases_case_change", args=[case.pk])).status_code in (302, 404)
