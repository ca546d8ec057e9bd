"""Team routes: balanced, spatially compact groups; nearest-neighbour walks from the westernmost site."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from chuangwen.org.distance import haversine_m
from chuangwen.rounds import routes
from chuangwen.rounds.routes import Stop


def test_haversine_is_metres():
    # One thousandth of a degree of latitude is about 111 m anywhere.
    assert 110 < haversine_m(30.0, 120.0, 30.001, 120.0) < 112
    assert haversine_m(30.0, 120.0, 30.0, 120.0) == 0


def test_walk_starts_west_and_always_goes_to_the_nearest():
    stops = [
        Stop("c", 30.0, 120.02),
        Stop("a", 30.0, 120.0),
        Stop("d", 30.0, 120.03),
        Stop("b", 30.0, 120.01),
    ]
    assert [s.key for s in routes.walking_order(stops)] == ["a", "b", "c", "d"]
    rnd = random.Random(7)
    stops = [Stop(i, 30 + rnd.random() / 50, 120 + rnd.random() / 50) for i in range(25)]
    walk = routes.walking_order(stops)
    assert walk[0] == min(stops, key=lambda s: s.lng)
    for i in range(len(walk) - 1):
        here, rest = walk[i], walk[i + 1 :]
        nearest = min(haversine_m(here.lat, here.lng, s.lat, s.lng) for s in rest)
        assert haversine_m(here.lat, here.lng, walk[i + 1].lat, walk[i + 1].lng) == nearest


@settings(max_examples=100)
@given(st.integers(0, 60), st.integers(1, 8), st.randoms(use_true_random=False))
def test_groups_are_balanced_and_cover_every_stop_once(n, groups, rnd):
    stops = [Stop(i, 30 + rnd.random() / 20, 120 + rnd.random() / 20) for i in range(n)]
    plan = routes.plan_routes(stops, groups)
    sizes = [len(keys) for keys in plan]
    assert len(plan) == groups and max(sizes) - min(sizes) <= 1
    assert sorted(itertools.chain.from_iterable(plan)) == list(range(n))


def test_groups_are_spatially_compact():
    """Two clusters far apart and two teams: each team gets one cluster."""
    rnd = random.Random(3)
    west = [Stop(f"w{i}", 30.0 + rnd.random() / 200, 120.0 + rnd.random() / 200) for i in range(6)]
    east = [Stop(f"e{i}", 30.0 + rnd.random() / 200, 120.1 + rnd.random() / 200) for i in range(6)]
    plan = routes.plan_routes(west + east, 2)
    assert {frozenset(k[0] for k in keys) for keys in plan} == {frozenset("w"), frozenset("e")}


def test_hilbert_index_visits_every_cell_once():
    order = 3
    side = 1 << order
    cells = {routes.hilbert_index(x, y, order): (x, y) for x in range(side) for y in range(side)}
    assert set(cells) == set(range(side * side))
    for i in range(side * side - 1):  # consecutive positions are neighbouring cells
        (x1, y1), (x2, y2) = cells[i], cells[i + 1]
        assert abs(x1 - x2) + abs(y1 - y2) == 1


def test_balanced_sizes():
    assert routes.balanced_sizes(7, 3) == [3, 2, 2]
    assert routes.balanced_sizes(0, 2) == [0, 0]
