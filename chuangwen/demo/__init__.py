"""The demo district builder and ``up`` (the top of the house): see ``services`` and docs/demo-data.md."""
