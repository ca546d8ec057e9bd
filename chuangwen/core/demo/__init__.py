"""The demo generator: a deterministic synthetic district (or city) that shows a living system.

``chuangwen demo-data --scale district|city --seed N`` calls :func:`build_demo`.
"""

from chuangwen.core.demo.build import DemoRefused, DemoSummary, build_demo, demo_digest, reset_business_data
from chuangwen.core.demo.spec import DEMO_PASSWORD, SCALES, ScaleSpec

__all__ = [
    "DEMO_PASSWORD",
    "SCALES",
    "DemoRefused",
    "DemoSummary",
    "ScaleSpec",
    "build_demo",
    "demo_digest",
    "reset_business_data",
]
