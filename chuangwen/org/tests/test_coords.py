import pytest
from hypothesis import given
from hypothesis import strategies as st

from chuangwen.org.coords import gcj02_to_wgs84, out_of_china, to_wgs84, wgs84_to_gcj02

# Published pairs (WGS-84 lng, lat) → (GCJ-02 lng, lat), as used by the eviltransform and coordtransform
# projects' own tests.
KNOWN = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),  # Beijing, Tiananmen
]


@pytest.mark.parametrize(("wgs", "gcj"), KNOWN)
def test_it_matches_published_wgs84_to_gcj02_pairs(wgs, gcj):
    lng, lat = wgs84_to_gcj02(*wgs)
    assert lng == pytest.approx(gcj[0], abs=1e-9)
    assert lat == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), KNOWN)
def test_it_inverts_published_pairs_to_better_than_1e_7_degrees(wgs, gcj):
    lng, lat = gcj02_to_wgs84(*gcj)
    assert abs(lng - wgs[0]) < 1e-7
    assert abs(lat - wgs[1]) < 1e-7


def test_it_passes_coordinates_outside_china_through():
    assert out_of_china(2.35, 48.85)
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


def test_it_converts_only_gcj02_input_in_to_wgs84():
    assert to_wgs84(120.02, 30.05, "WGS-84") == (120.02, 30.05)
    lng, lat = to_wgs84(*wgs84_to_gcj02(120.02, 30.05), "GCJ-02")
    assert (lng, lat) == (pytest.approx(120.02, abs=1e-8), pytest.approx(30.05, abs=1e-8))
    with pytest.raises(ValueError):
        to_wgs84(120.0, 30.0, "BD-09")


china_lng = st.floats(min_value=73.5, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=3.9, max_value=53.5, allow_nan=False)


@given(china_lng, china_lat)
def test_it_round_trips_wgs84_through_gcj02_and_back(lng, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lng, lat))
    assert abs(back[0] - lng) < 1e-7
    assert abs(back[1] - lat) < 1e-7


@given(china_lng, china_lat)
def test_it_round_trips_gcj02_through_wgs84_and_back(lng, lat):
    again = wgs84_to_gcj02(*gcj02_to_wgs84(lng, lat))
    assert abs(again[0] - lng) < 1e-7
    assert abs(again[1] - lat) < 1e-7


@given(china_lng, china_lat)
def test_it_shifts_chinese_points_by_tens_to_hundreds_of_metres(lng, lat):
    g_lng, g_lat = wgs84_to_gcj02(lng, lat)
    assert 0 < abs(g_lng - lng) + abs(g_lat - lat) < 0.02
