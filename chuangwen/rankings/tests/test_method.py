"""The public method page follows the active standard's ranking configuration."""

from __future__ import annotations

from typing import Any

from django.test import Client

from chuangwen.rankings import formulas


def test_it_shows_the_configured_numbers_without_login(db: Any) -> None:
    from chuangwen.standards.services.versions import load_default_standard

    load_default_standard()
    page = Client().get("/rankings/method/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "非申报点位 1.5" in text and "k = 5" in text
    example = formulas.q_score(formulas.shrink(formulas.HUNDRED, 1, formulas.HUNDRED * 8 / 10, 5, 5))  # type: ignore[arg-type]
    assert str(example) == "83.33" and "83.33" in text
    assert "处置率" in text and "1、2、2、4" in text


def test_it_changes_when_a_version_with_other_weights_is_active(db: Any) -> None:
    from chuangwen.standards.services.versions import (
        activate,
        derive_new_version,
        load_default_standard,
        update_parameters,
    )

    first = load_default_standard()
    before = Client().get("/rankings/method/").content.decode()
    second = derive_new_version(first)
    update_parameters(
        second,
        {
            "undeclared_weight": 2,
            "shrinkage_k": 3,
            "composite_weights": {"onsite": 0.5, "rectification": 0.5},
        },
    )
    activate(second)
    after = Client().get("/rankings/method/").content.decode()
    assert after != before
    assert "非申报点位 2" in after and "k = 3" in after and "非申报点位 1.5" not in after
    # (1 × 100 + 3 × 80) / (1 + 3) = 85.00 instead of 83.33
    assert "85.00" in after and "83.33" not in after
    assert "50.00%" in after
