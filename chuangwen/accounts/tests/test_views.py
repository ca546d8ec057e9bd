from django.urls import reverse

from chuangwen.audit.models import AuditEntry
from conftest import make_user


def test_it_sends_the_admin_login_to_the_guarded_login_page(client, db):
    r = client.get("/admin/login/?next=/admin/accounts/user/")
    assert r.status_code == 302
    assert r.url == "/accounts/login/?next=/admin/accounts/user/"
    assert client.get("/admin/").url.startswith("/admin/login/")


def test_it_refuses_the_admin_to_a_signed_in_user_who_is_not_staff(client, org):
    client.force_login(make_user("west_handler", "handler", org["west"]))
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_it_records_a_logout_from_the_admin(client, users):
    client.force_login(users["admin"])
    r = client.post(reverse("admin:logout"))
    assert r.status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="logout", actor=users["admin"]).exists()


def test_it_sends_a_signed_in_user_away_from_the_login_page(client, org):
    client.force_login(make_user("west_handler", "handler", org["west"]))
    r = client.get(reverse("accounts:login") + "?next=/accounts/password/")
    assert r.url == "/accounts/password/"
    r = client.get(reverse("accounts:login") + "?next=https://evil.example/")
    assert r.url == "/"
