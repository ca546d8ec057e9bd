"""The survey pages, by area: ``waves`` (home, waves, plans, staff), ``residents`` (population figures,
coaching visits), ``questionnaires`` (list, preview, import/export, versions), ``review`` (quality control and
call-backs), ``results`` (results, trends, exports), ``interview`` (the interviewer's offline phone app),
``cati`` (the phone-interview script), ``public`` (the self-completion page) and ``intake`` (what the last two
share)."""
