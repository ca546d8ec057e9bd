"""What a demo build looks like at each scale."""

from __future__ import annotations

from dataclasses import dataclass

from chuangwen.accounts.first_admin import PUBLIC_DEMO_PASSWORD

# Meets the password policy (≥ 10 characters, three character classes); printed by ``chuangwen up``.
DEMO_PASSWORD = PUBLIC_DEMO_PASSWORD  # printed in the README: public (accounts refuses it in production)

# WGS-84 centre of the synthetic territory (a plausible city in the Yangtze delta).
CENTER_LNG = 120.15
CENTER_LAT = 30.28


@dataclass(frozen=True)
class ScaleSpec:
    """The shape of the synthetic territory: districts → streets → communities on one jittered lattice."""

    name: str
    districts: int
    district_cols: int
    street_cols: int
    street_rows: int
    community_cols: int
    community_rows: int
    sites_per_district: int
    cell_lng: float  # size of one community cell in degrees
    cell_lat: float
    grids: bool = False  # split the first community of each street into two grids
    merge_share: float = 0.5  # chance that a street merges two of its cells into one larger community

    @property
    def district_rows(self) -> int:
        return -(-self.districts // self.district_cols)

    @property
    def cols(self) -> int:
        return self.district_cols * self.street_cols * self.community_cols

    @property
    def rows(self) -> int:
        return self.district_rows * self.street_rows * self.community_rows


SCALES: dict[str, ScaleSpec] = {
    # ≈ 8 streets, ≈ 60 communities, ≈ 400 sites
    "district": ScaleSpec(
        "district", 1, 1, 4, 2, 2, 4, 400, cell_lng=0.0125, cell_lat=0.0075, grids=True, merge_share=0.5
    ),
    # ≈ 10 districts, 60 streets, ≈ 330 communities, ≈ 5,000 sites
    "city": ScaleSpec("city", 10, 5, 3, 2, 2, 3, 500, cell_lng=0.015, cell_lat=0.0135, merge_share=0.5),
}
