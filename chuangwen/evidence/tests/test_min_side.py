"""A photo whose shorter side is below EVIDENCE_MIN_SIDE is refused from its header (docs/evidence.md)."""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image

from chuangwen.evidence.errors import ImageRejected
from chuangwen.evidence.images import prepare_photo
from chuangwen.evidence.models import Evidence
from chuangwen.evidence.tests.helpers import API, form, stored_files
from chuangwen.evidence.tests.photos import encode, jpeg, png_bomb
from conftest import client_for


def post(user: Any, fields: dict[str, Any]) -> Any:
    return client_for(user).post(API, fields)


def strip_png(width: int, height: int) -> bytes:
    return encode(Image.new("RGB", (width, height), (90, 120, 150)), "PNG")


def test_it_refuses_a_one_pixel_wide_strip_and_stores_nothing(
    users: dict[str, Any], sites: dict[str, Any], field_round: Any
) -> None:
    response = post(users["inspector"], form(field_round, sites["west_road"], strip_png(1, 60_000)))
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "图片太小：短边 1 像素，至少需要 240 像素", "code": "too_small"}
    assert not Evidence.objects.exists()
    assert stored_files() == []


def test_it_refuses_a_hundred_pixel_square_jpeg(
    users: dict[str, Any], sites: dict[str, Any], field_round: Any
) -> None:
    response = post(users["inspector"], form(field_round, sites["west_road"], jpeg(size=(100, 100))))
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "图片太小：短边 100 像素，至少需要 240 像素", "code": "too_small"}
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("size", [(320, 240), (240, 320), (240, 4000)])
def test_it_accepts_a_photo_whose_short_side_is_just_at_the_limit(
    users: dict[str, Any], sites: dict[str, Any], field_round: Any, size: tuple[int, int]
) -> None:
    response = post(users["inspector"], form(field_round, sites["west_road"], jpeg(size=size)))
    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == size


@pytest.mark.parametrize("size", [(320, 239), (239, 320)])
def test_it_refuses_one_pixel_below_the_limit(size: tuple[int, int]) -> None:
    with pytest.raises(ImageRejected) as refused:
        prepare_photo(jpeg(size=size))
    assert refused.value.code == "too_small"
    assert refused.value.message == "图片太小：短边 239 像素，至少需要 240 像素"


def test_it_decides_from_the_header_before_decoding_anything() -> None:
    # The header says 1 × 60 000 but the pixel data would not fill ten rows: a decode would call it
    # truncated. The refusal names the size, so no pixel was read.
    with pytest.raises(ImageRejected) as refused:
        prepare_photo(png_bomb(1, 60_000))
    assert refused.value.code == "too_small"


def test_it_follows_the_setting(settings: Any) -> None:
    settings.EVIDENCE_MIN_SIDE = 480
    with pytest.raises(ImageRejected) as refused:
        prepare_photo(jpeg(size=(640, 479)))
    assert refused.value.message == "图片太小：短边 479 像素，至少需要 480 像素"
    assert prepare_photo(jpeg(size=(640, 480))).height == 480
