from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from chuangwen.audit.models import AuditEntry
from chuangwen.audit.services import verify_chain
from conftest import PASSWORD, make_user


def changes_of(obj):
    entry = AuditEntry.objects.filter(action="permission_changed", object_id=str(obj.pk)).latest("seq")
    return entry, entry.detail["changes"]


def test_it_records_a_role_and_unit_change_with_before_and_after(org):
    user = make_user("west_handler", "handler", org["west"])
    user.role = "unit_head"
    user.unit = org["east"]
    user.save()
    _entry, changes = changes_of(user)
    assert changes["role"] == {"before": "handler", "after": "unit_head"}
    assert changes["unit"]["before"]["name"] == "西湖街道"
    assert changes["unit"]["after"]["name"] == "东城街道"
    assert verify_chain().ok


def test_it_records_the_active_staff_and_superuser_flags(org):
    user = make_user("west_handler", "handler", org["west"])
    user.is_active = False
    user.is_staff = True
    user.is_superuser = True
    user.save()
    _entry, changes = changes_of(user)
    assert changes["is_active"] == {"before": True, "after": False}
    assert changes["is_staff"] == {"before": False, "after": True}
    assert changes["is_superuser"] == {"before": False, "after": True}


def test_it_records_group_and_permission_changes(org):
    user = make_user("west_handler", "handler", org["west"])
    group = Group.objects.create(name="数据审核")
    permission = Permission.objects.get(codename="view_auditentry")
    user.groups.add(group)
    _entry, changes = changes_of(user)
    assert changes["groups"] == {"before": [], "after": ["数据审核"]}
    user.user_permissions.add(permission)
    _entry, changes = changes_of(user)
    assert changes["user_permissions"]["after"] == ["audit.view_auditentry"]
    group.permissions.add(permission)
    _entry, changes = changes_of(group)
    assert changes["permissions"] == {"before": [], "after": ["audit.view_auditentry"]}
    group.user_set.remove(user)  # from the other side of the relation
    _entry, changes = changes_of(group)
    assert changes["user_set"] == {"before": ["west_handler"], "after": []}


def test_it_does_not_record_saves_that_change_no_permission(org):
    user = make_user("west_handler", "handler", org["west"])
    before = AuditEntry.objects.count()
    user.full_name = "王小二"
    user.save()
    user.save(update_fields=["last_login"])
    assert AuditEntry.objects.count() == before


def test_it_names_the_admin_who_changed_a_role_in_the_admin(client, users, org):
    handler = users["west_handler"]
    client.force_login(users["admin"])
    url = reverse("admin:accounts_user_change", args=[handler.pk])
    data = {
        "username": handler.username,
        "full_name": handler.full_name,
        "phone": "",
        "email": "",
        "role": "verifier",
        "unit": org["west"].pk,
        "is_active": "on",
    }
    r = client.post(url, data, REMOTE_ADDR="10.2.3.4")
    assert r.status_code == 302, r.content.decode()[:2000]
    entry, changes = changes_of(handler)
    assert changes["role"] == {"before": "handler", "after": "verifier"}
    assert (entry.actor_id, entry.actor_name, entry.address) == (users["admin"].pk, "admin", "10.2.3.4")


def test_it_records_a_password_change_by_its_owner(client, org):
    user = make_user("west_handler", "handler", org["west"])
    client.force_login(user)
    new = "Another-Strong-2026!"
    r = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert r.status_code == 302
    assert "密码已修改" in client.get(r.url).content.decode()
    entry = AuditEntry.objects.filter(action="password_changed").get()
    assert entry.actor_id == user.pk
    assert PASSWORD not in str(entry.detail) and new not in str(entry.detail)


def test_it_refuses_a_weak_new_password(client, org):
    user = make_user("west_handler", "handler", org["west"])
    client.force_login(user)
    r = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"},
    )
    assert r.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_it_records_a_logout(client, org):
    user = make_user("west_handler", "handler", org["west"])
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 200  # a confirmation page only
    assert "_auth_user_id" in client.session
    r = client.post(reverse("accounts:logout"))
    assert r.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="logout", actor=user).exists()
