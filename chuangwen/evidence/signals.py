"""Signals of the evidence pipeline, for apps that act on photos without the pipeline knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by ``derivatives.build_derivatives`` once a photo's perceptual hash is stored; kwargs: evidence.
photo_hashed = Signal()
