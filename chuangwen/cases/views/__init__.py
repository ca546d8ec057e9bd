"""The case pages: ``cases`` (the list, a case and its actions, photo checks), ``board`` (the dispatch board,
disputes, the case map) and ``intake`` (the 12345 import and instructions, 督办)."""
