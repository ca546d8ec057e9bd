from django.urls import reverse

from chuangwen.audit.models import AuditEntry
from chuangwen.audit.services import record, verify_chain


def test_it_shows_the_log_but_offers_no_way_to_change_it(client, users):
    entry = record(None, "test_event", detail={"k": "v"})
    client.force_login(users["admin"])
    changelist = client.get(reverse("admin:audit_auditentry_changelist"))
    assert changelist.status_code == 200
    assert "test_event" in changelist.content.decode()
    assert client.get(reverse("admin:audit_auditentry_change", args=[entry.pk])).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert (
        client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    r = client.post(
        reverse("admin:audit_auditentry_change", args=[entry.pk]), {"action": "changed", "detail": "{}"}
    )
    assert r.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "test_event"


def test_it_still_shows_entries_of_a_deleted_user(client, users):
    handler = users["west_handler"]
    entry = record(None, "test_event", actor=handler)
    handler.delete()
    client.force_login(users["admin"])
    r = client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    assert r.status_code == 200
    assert "west_handler" in r.content.decode()
    assert verify_chain().ok  # deleting a user rewrites no audit entry
