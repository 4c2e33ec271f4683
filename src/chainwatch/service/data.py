"""Data service: database overview, import history, imports and templates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from chainwatch.i18n import t
from chainwatch.service.result import Result
from chainwatch.store import Store
from chainwatch.store.importer import ImportReport, import_file, import_frame
from chainwatch.store.kinds import KINDS, LOAD_ORDER
from chainwatch.store.templates import write_template

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

COUNTED = ("enterprise", "enterprise_scope", "enterprise_title", "monthly_value", "value_revision", "enterprise_annual",
           "deflator", "cluster", "chain", "segment", "segment_edge", "segment_product", "segment_enterprise",
           "supply_link", "trade_flow", "partner_group", "region", "industry", "hs_code")


class DataService:
    def __init__(self, cw: Chainwatch) -> None:
        self.cw = cw
        self.store = cw.store

    def import_file(self, path: str | Path, kind: str, *, encoding: str | None = None, unit: str | None = None,
                    skip_invalid: bool = False, dry_run: bool = False) -> ImportReport:
        return import_file(self.store, path, kind, encoding=encoding, unit=unit, actor=self.cw.actor,
                           skip_invalid=skip_invalid, dry_run=dry_run)

    def import_frame(self, kind: str, df: pd.DataFrame, *, source_name: str, unit: str | None = "万元",
                     skip_invalid: bool = False, dry_run: bool = False) -> ImportReport:
        return import_frame(self.store, kind, df, source_name=source_name, unit=unit, actor=self.cw.actor,
                            skip_invalid=skip_invalid, dry_run=dry_run)

    def template(self, kind: str, path: str | Path, lang: str | None = None, with_example: bool = False) -> Path:
        from chainwatch.store.importer import get_kind

        return write_template(get_kind(kind), path, lang or self.cw.lang, with_example=with_example)

    @staticmethod
    def kinds() -> list[dict[str, Any]]:
        return [{"kind": k, "name_zh": KINDS[k].zh, "name_en": KINDS[k].en,
                 "columns": [c.name for c in KINDS[k].columns],
                 "required": [c.name for c in KINDS[k].columns if c.required]} for k in LOAD_ORDER]

    def counts(self) -> pd.DataFrame:
        rows = [{"table": name, "rows": int(self.store.scalar(f"SELECT count(*) FROM {name}"))} for name in COUNTED]
        return pd.DataFrame(rows)

    def periods(self) -> dict[str, Any]:
        row = self.store.rows("SELECT min(period), max(period), count(DISTINCT period) FROM monthly_value")[0]
        return {"first": row[0], "last": row[1], "n_months": int(row[2] or 0)}

    def is_demo(self) -> bool:
        """True for a database built by ``chainwatch demo`` (synthetic data, labelled as such)."""
        return self.store.table_exists("demo_info") and bool(self.store.scalar("SELECT count(*) FROM demo_info"))

    def latest_period(self) -> str | None:
        return self.store.scalar("SELECT max(period) FROM monthly_value")

    def history(self, limit: int = 50) -> pd.DataFrame:
        return self.store.df(
            "SELECT batch_id, imported_at, kind, file_name AS file, file_sha256 AS sha256, actor, source_unit, rows_total, "
            "rows_accepted, rows_rejected, rows_inserted, rows_revised, rows_unchanged FROM import_batch "
            "ORDER BY batch_id DESC LIMIT ?", [limit])

    def revisions(self, kind: str | None = None, key: str | None = None) -> pd.DataFrame:
        sql = ("SELECT r.kind, r.key, r.field, r.old_value, r.new_value, r.old_batch, r.new_batch, r.revised_at, "
               "b.file_name AS old_file FROM value_revision r LEFT JOIN import_batch b ON b.batch_id = r.old_batch WHERE 1=1")
        params: list[Any] = []
        if kind:
            sql += " AND r.kind = ?"
            params.append(kind)
        if key:
            sql += " AND r.key = ?"
            params.append(key)
        return self.store.df(sql + " ORDER BY r.revised_at", params)

    def copy_to(self, target: str, *, replace: bool = False) -> Result:
        """Copy this whole database into ``target`` (a DuckDB file or a PostgreSQL URL).

        Table ``tables``: table, rows; table ``sequences``: sequence, next_value. The target gets every
        row in one transaction (see :mod:`chainwatch.store.copy`).
        """
        from chainwatch.store.copy import copy_database

        with Store.open(target) as dst:
            report = copy_database(self.store, dst, replace=replace)
            dst.audit(self.cw.actor, "store.copy", report.source,
                      f"{sum(x['rows'] for x in report.tables)} rows in {len(report.tables)} tables")
        seqs = [{"sequence": k, "next_value": v} for k, v in sorted(report.sequences.items())]
        meta = self.cw.meta(source=report.source, target=report.target, seconds=round(report.seconds, 2),
                            rows=sum(x["rows"] for x in report.tables))
        return Result("store copy", meta, {"tables": report.tables, "sequences": seqs},
                      [t("store.copy_done", self.cw.lang, source=report.source, target=report.target,
                         tables=len(report.tables), rows=meta["rows"], seconds=meta["seconds"])])

    def info(self) -> Result:
        periods = self.periods()
        return Result("info", meta=self.cw.meta(schema_version=self.store.schema_version(), periods=periods,
                                                units={"money": "万元"}),
                      tables={"counts": self.counts(), "imports": self.history()})
