"""GET discovery, GET services, GET services/{service_code}: fields, both formats, and their errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from chuangwen.open311.models import ServiceAttribute
from chuangwen.open311.tests.open311_fixtures import BASE, body, categories, errors  # noqa: F401

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]


@pytest.fixture
def vendor_attribute(categories: dict[str, Any]) -> ServiceAttribute:  # noqa: F811
    return ServiceAttribute.objects.create(
        category=categories["street-vending"],
        code="KIND",
        datatype="singlevaluelist",
        required=True,
        order=1,
        description="经营类型",
        values=[{"key": "food", "name": "流动食品摊"}, {"key": "fruit", "name": "水果摊"}],
    )


def test_it_lists_the_active_services_in_json(client: Client, categories: dict[str, Any]) -> None:  # noqa: F811
    categories["other"].active = False
    categories["other"].save()
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = body(response)
    assert isinstance(services, list)
    assert all(list(item) == SERVICE_FIELDS for item in services)
    by_code = {item["service_code"]: item for item in services}
    assert "other" not in by_code
    garbage = by_code["garbage"]
    assert garbage == {
        "service_code": "garbage",
        "service_name": "垃圾堆放",
        "description": "暴露垃圾、卫生死角、垃圾满溢未清运",
        "metadata": False,
        "type": "realtime",
        "keywords": "垃圾, 卫生, 死角, 满溢",
        "group": "环卫",
    }


def test_it_lists_the_services_in_xml_with_the_spec_elements(
    client: Client,
    vendor_attribute: ServiceAttribute,
) -> None:
    response = client.get(f"{BASE}/services.xml")
    assert response.status_code == 200
    root = body(response)
    assert root.tag == "services"
    assert {child.tag for child in root} == {"service"}
    first = root[0]
    assert [child.tag for child in first] == SERVICE_FIELDS
    vending = next(s for s in root if s.findtext("service_code") == "street-vending")
    assert vending.findtext("metadata") == "true"
    assert vending.findtext("type") == "realtime"
    garbage = next(s for s in root if s.findtext("service_code") == "garbage")
    assert garbage.findtext("metadata") == "false"


def test_it_gives_a_service_definition_with_its_attributes(
    client: Client, vendor_attribute: ServiceAttribute
) -> None:
    ServiceAttribute.objects.create(
        category=vendor_attribute.category, code="HOURS", datatype="string", order=2, description="出现时段"
    )
    definition = body(client.get(f"{BASE}/services/street-vending.json"))
    assert list(definition) == ["service_code", "attributes"]
    assert definition["service_code"] == "street-vending"
    assert [a["code"] for a in definition["attributes"]] == ["KIND", "HOURS"]
    kind = definition["attributes"][0]
    assert list(kind) == ATTRIBUTE_FIELDS
    assert kind == {
        "variable": True,
        "code": "KIND",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "经营类型",
        "values": [{"key": "food", "name": "流动食品摊"}, {"key": "fruit", "name": "水果摊"}],
    }

    root = body(client.get(f"{BASE}/services/street-vending.xml"))
    assert root.tag == "service_definition"
    assert [child.tag for child in root] == ["service_code", "attributes"]
    attribute = root.find("attributes/attribute")
    assert attribute is not None
    assert [child.tag for child in attribute] == ATTRIBUTE_FIELDS
    assert attribute.findtext("required") == "true"
    assert attribute.findtext("datatype_description") == ""
    values = attribute.findall("values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values] == [
        ("food", "流动食品摊"),
        ("fruit", "水果摊"),
    ]


def test_it_gives_a_definition_without_attributes_as_an_empty_list(
    client: Client,
    categories: dict[str, Any],  # noqa: F811
) -> None:
    assert body(client.get(f"{BASE}/services/garbage.json")) == {"service_code": "garbage", "attributes": []}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_answers_404_with_the_errors_body_for_an_unknown_service_code(
    client: Client,
    categories: dict[str, Any],  # noqa: F811
    fmt: str,
) -> None:
    response = client.get(f"{BASE}/services/potholes.{fmt}")
    assert response.status_code == 404
    assert errors(response) == [(404, "service_code not found: potholes")]


def test_it_answers_404_for_an_inactive_service(client: Client, categories: dict[str, Any]) -> None:  # noqa: F811
    categories["other"].active = False
    categories["other"].save()
    assert client.get(f"{BASE}/services/other.json").status_code == 404


@pytest.mark.parametrize(
    "path", ["services.csv", "services/garbage.html", "requests.yaml", "requests/1.txt", "tokens/x.rss"]
)
def test_it_answers_404_in_xml_for_an_unknown_format(
    client: Client,
    categories: dict[str, Any],  # noqa: F811
    path: str,
) -> None:
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == 404
    [(code, description)] = errors(response)
    assert code == 404
    assert "format" in description


def test_it_answers_404_for_a_resource_the_spec_does_not_have(client: Client, db: Any) -> None:
    response = client.get(f"{BASE}/nothing/here.json")
    assert response.status_code == 404
    assert errors(response)[0][0] == 404
    assert client.get(f"{BASE}/services").status_code == 404


@override_settings(OPEN311_JURISDICTION_ID="wenming.gov.cn")
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_answers_404_for_an_unknown_jurisdiction_and_serves_its_own(
    client: Client,
    categories: dict[str, Any],  # noqa: F811
    fmt: str,
) -> None:
    response = client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "sfgov.org"})
    assert response.status_code == 404
    assert errors(response) == [(404, "jurisdiction_id not found: sfgov.org")]
    for path in ["services/garbage", "requests", "requests/1", "tokens/abc"]:
        assert client.get(f"{BASE}/{path}.{fmt}", {"jurisdiction_id": "sfgov.org"}).status_code == 404
    # Its own, or none at all (one jurisdiction: the argument is optional), or empty ("optional" rule).
    assert client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "wenming.gov.cn"}).status_code == 200
    assert client.get(f"{BASE}/services.{fmt}").status_code == 200
    assert client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": ""}).status_code == 200


def test_it_refuses_other_methods_with_400(client: Client, categories: dict[str, Any]) -> None:  # noqa: F811
    response = client.put(f"{BASE}/services.json")
    assert response.status_code == 400
    assert errors(response)[0][0] == 400
    assert client.delete(f"{BASE}/requests.xml").status_code == 400


@override_settings(CHUANGWEN_BASE_URL="https://www.wenming.example.cn")
def test_it_publishes_the_discovery_document(client: Client, db: Any) -> None:
    document = body(client.get(f"{BASE}/discovery.json"))
    assert list(document) == ["changeset", "contact", "key_service", "endpoints"]
    [endpoint] = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = body(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]
    # Without OPEN311_JURISDICTION_ID the jurisdiction is the site's host without www.
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "wenming.example.cn"}).status_code == 200
