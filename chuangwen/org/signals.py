"""Signals of the unit tree, for the apps above it (org imports none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the boundary import's transaction, after the new boundaries are saved, when the importer asked
# for the sites to be relocated; ``index`` is an ``org.geo.AreaIndex`` of every unit. A receiver returns a
# dict of counts for the import's report (sites: moved, outside, unchanged).
boundaries_changed = Signal()
