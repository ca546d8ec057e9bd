"""API of 问卷调查 (docs/surveys.md, "API"): the interviewer's fieldwork download and response intake
(idempotent by client_id), questionnaires, waves and their plans, population figures, responses and their
review, coaching visits and results, each scoped like the pages.

Every request body is read by ``common._body``: bounded in size, parsed as JSON without NaN or Infinity,
checked against its schema, and a field error is a 422 whose ``loc`` is ``["body", <field>]``
(``answers.<code>`` for an answer), exactly as the service's own field errors are reported."""

from chuangwen.surveys.api import fieldwork, questionnaires, responses, results, waves  # noqa: F401  (routes)
from chuangwen.surveys.api.common import router

__all__ = ["router"]
