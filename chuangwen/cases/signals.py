"""Signal receivers of the case workflow: a published round's findings become cases (``intake``)."""

from __future__ import annotations

import logging
from typing import Any

from chuangwen.rounds.models import Round

logger = logging.getLogger(__name__)


def open_cases_on_publication(sender: type[Round], round: Round, **kwargs: Any) -> None:
    """Runs after the publication has committed. A failure here must not look like a failed publication:
    it is logged, and ``chuangwen cases intake ROUND`` opens the missing cases later."""
    from chuangwen.cases.intake import open_cases_for_round

    try:
        open_cases_for_round(round)
    except Exception:
        logger.exception("opening the cases of round %s failed", round.pk)


def connect() -> None:
    from chuangwen.rounds.services import round_published

    round_published.connect(
        open_cases_on_publication, sender=Round, dispatch_uid="cases.open_cases_on_publication"
    )
