"""Raw bulk inserts for the benchmarks' data generators: multi-row INSERTs (SQLite) or COPY (PostgreSQL).

Rows are buffered per model as tuples of every concrete column (missing values take the field's default) and
written one transaction per flush, in the order of the models given (so parents before children). With
``explicit_ids`` (the default) the primary key is a column like any other and, on PostgreSQL, ``finish``
moves the sequences past the ids written; without, the database assigns the ids.
"""

from __future__ import annotations

from typing import Any


class Table:
    """One model's columns (the primary key too with explicit ids), defaults and per-vendor adapters."""

    def __init__(self, model: Any, explicit_ids: bool = True, label: str | None = None) -> None:
        from django.db import connection

        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if explicit_ids or not f.primary_key]
        self.names = [f.attname for f in self.fields]
        self.columns = [f.column for f in self.fields]
        self.defaults = {f.attname: (None if f.primary_key else f.get_default()) for f in self.fields}
        self.table = model._meta.db_table
        self.label = label or self.table  # in the progress line
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0
        ops = connection.ops
        self.adapt: list[tuple[int, Any]] = []
        if connection.vendor != "postgresql":
            for i, f in enumerate(self.fields):
                kind = f.get_internal_type()
                if kind == "DateTimeField":
                    self.adapt.append((i, ops.adapt_datetimefield_value))
                elif kind == "DateField":
                    self.adapt.append((i, ops.adapt_datefield_value))
                elif kind == "UUIDField":
                    self.adapt.append((i, lambda v: v.hex if v is not None else None))

    def add(self, **values: Any) -> None:
        row = [values.get(name, default) for name, default in self.defaults.items()]
        for i, adapt in self.adapt:
            row[i] = adapt(row[i])
        self.rows.append(tuple(row))


class Loader:
    """Buffers rows of several tables and writes them in dependency order, one transaction per flush."""

    def __init__(
        self,
        models: list[Any],
        batch: int,
        explicit_ids: bool = True,
        labels: dict[Any, str] | None = None,
    ) -> None:
        from django.db import connection

        self.tables = [Table(m, explicit_ids, (labels or {}).get(m)) for m in models]
        self.explicit_ids = explicit_ids
        self.by_model = {t.model: t for t in self.tables}
        self.batch = batch
        self.postgres = connection.vendor == "postgresql"

    def __getitem__(self, model: Any) -> Table:
        return self.by_model[model]

    def maybe_flush(self) -> None:
        if any(len(t.rows) >= self.batch for t in self.tables):
            self.flush()

    def flush(self) -> None:
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            for t in self.tables:
                if not t.rows:
                    continue
                columns = ", ".join(t.columns)
                if self.postgres:
                    with cursor.cursor.copy(f"COPY {t.table} ({columns}) FROM STDIN") as copy:
                        for values in t.rows:
                            copy.write_row(values)
                else:
                    per = max(1, 30_000 // len(t.columns))  # under SQLite's limit of bound variables
                    marks = "(" + ",".join(["%s"] * len(t.columns)) + ")"
                    for at in range(0, len(t.rows), per):
                        part = t.rows[at : at + per]
                        cursor.execute(
                            f"INSERT INTO {t.table} ({columns}) VALUES {','.join([marks] * len(part))}",
                            [v for values in part for v in values],
                        )
                t.count += len(t.rows)
                t.rows = []
        print("  " + ", ".join(f"{t.count:,} {t.label}" for t in self.tables), end="\r", flush=True)

    def finish(self) -> None:
        from django.core.management.color import no_style
        from django.db import connection

        self.flush()
        print()
        if self.postgres and self.explicit_ids:  # move the sequences past the ids written
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [t.model for t in self.tables]):
                    cursor.execute(sql)
