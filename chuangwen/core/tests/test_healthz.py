from django.test import Client


def test_it_reports_ok_with_the_database(db):
    r = Client().get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
