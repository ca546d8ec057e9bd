"""The survey pages, by area: ``waves`` (home, waves, plans, population, staff, coaching), ``questionnaires``
(list, preview, import/export, versions), ``review`` (quality control and call-backs), ``results`` (results,
trends, exports), ``interview`` (the interviewer's phone pages and the CATI script) and ``public`` (the
self-completion page)."""
