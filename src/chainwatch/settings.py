"""Settings declared once, as data, and layered: defaults → settings file → environment.

Every setting has a name, a default and a help text (see ``docs/settings.md``; a test checks that
each one is documented). Environment variables are ``CHAINWATCH_<NAME>``; the settings file is TOML,
found at ``$CHAINWATCH_CONFIG`` or ``./chainwatch.toml``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "chainwatch.duckdb", "Database used when --db is not given: a DuckDB file path or postgresql://user@host:port/dbname."),
    Setting("lang", "zh", "Default language of user-facing text: zh or en."),
    Setting("secret_key", "", "Secret for signing web sessions; generated into the database when empty."),
    Setting("session_minutes", 120, "Minutes of inactivity after which a web session expires."),
    Setting("login_attempts", 5, "Failed logins per account and address allowed in 15 minutes before throttling."),
    Setting("host", "127.0.0.1", "Address chainwatch serve listens on."),
    Setting("port", 8000, "Port chainwatch serve listens on."),
    Setting("incomplete_base", "exclude", "Same-caliber base policy when an operating enterprise lacks a prior-year value: exclude (flagged) or zero."),
    Setting("derive_scope", False, "Derive 规上 membership from prior-year revenue >= 2,000万元 when no directory flag is imported (results labelled derived)."),
    Setting("rules_file", "", "Warning rules file (YAML or TOML); empty means the shipped default rule set."),
    Setting("cultivation_settings", "", "YAML file overriding the tier-rule settings (unconfirmed [U] rules, review rounds); empty means the shipped defaults."),
    Setting("threads", 0, "DuckDB threads (0 = DuckDB's default)."),
    # -- security and limits (issue 15) ----------------------------------------------------------
    Setting("web_concurrency", 8, "Web requests served at once; each holds one database handle and one worker thread."),
    Setting("web_queue", 256, "Web requests that may wait for a free slot (holding no thread); beyond that they are answered 503 with Retry-After."),
    Setting("web_queue_ms", 3000, "Longest wait for a free slot, in milliseconds, before a request is answered 503 with Retry-After."),
    Setting("web_max_body_kb", 256, "Largest request body (JSON, forms) in KiB; larger ones are answered 413."),
    Setting("upload_max_mb", 100, "Largest uploaded import file in MiB; larger ones are answered 413."),
    Setting("upload_ttl_minutes", 60, "Minutes an uploaded, validated file waits for its confirmation before it is deleted."),
    Setting("web_run_seconds", 30, "Wall time of one simulation run from the web, in seconds; a longer run is stopped and answered 503."),
    Setting("io_tables_dir", "", "Folder of IO tables that scenarios may name (NAME.csv/.tsv/.txt, regular files only); empty means only tables imported with chainwatch io tables import."),
    Setting("io_table_max_mb", 64, "Largest IO table file in MiB (import and io_tables_dir)."),
    Setting("io_max_sectors", 5000, "Most sectors of a named IO table (its factorisation's time and memory grow with the cube and square)."),
    Setting("sim_max_shocks", 100, "Most shocks in one scenario."),
    Setting("trusted_proxies", "", "Addresses or networks (comma-separated, e.g. 127.0.0.1,10.0.0.0/8) of reverse proxies whose X-Forwarded-For/-Proto headers are believed; empty means none."),
    Setting("password_min_length", 12, "Shortest password accepted (users add, users passwd, web)."),
    Setting("password_min_score", 3, "Lowest zxcvbn strength score (0-4) accepted for a password."),

    # -- metric catalogue, reference dates (issue 16) ----------------------------------------------

    # -- demo (issue 17) ---------------------------------------------------------------------------

    # -- warnings, register, notifications (issue 18) ----------------------------------------------

    # -- documents (issue 19) ----------------------------------------------------------------------

    # -- dashboard, geography (issue 20) -----------------------------------------------------------

    # -- performance (issue 21) --------------------------------------------------------------------
    Setting("cascade_loss_rtol", 1e-4, "Firm cascades stop once the estimated lost output still to come is at most this share of the output lost so far (0 = stop on the level tolerance only)."),

    # -- store backends (issue 22) -----------------------------------------------------------------
    Setting("pg_pool_size", 10, "PostgreSQL: most connections one chainwatch process (CLI or web server) opens."),
    Setting("pg_connect_timeout", 10, "PostgreSQL: seconds to wait for a connection (server start, pool) before failing."),
    Setting("import_wait_seconds", 120, "PostgreSQL: seconds an import waits for another import to finish before answering busy (exit 3)."),

    # -- engines, Spark, Parquet (issue 23) --------------------------------------------------------
    Setting("engine", "duckdb", "Engine for the statistics and the network build: duckdb (the store) or spark."),
    Setting("spark_master", "local[2]", "Spark master URL for --engine spark (local[N], yarn, k8s://https://host:port, spark://host:port)."),
    Setting("spark_conf", "", "Extra Spark configuration, key=value pairs separated by ; (or a TOML table); keys that download packages are refused."),
    Setting("spark_source", "", "Parquet directory (a chainwatch export, local path or hdfs:// / s3a:// URL) that --engine spark reads when no --source is given."),
    Setting("spark_tables", "", "Catalog (Hive) tables for --engine spark, table=catalog.table pairs separated by , (e.g. invoice=ods.vat_invoice)."),

    # -- intake and survey (issue 24) --------------------------------------------------------------

    # -- five chains (issue 25) --------------------------------------------------------------------

)


@dataclass(frozen=True)
class Settings:
    values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def _coerce(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Layer defaults, the settings file, the environment and explicit overrides."""
    values = {s.name: s.default for s in SETTINGS}
    path = Path(config_file or os.environ.get("CHAINWATCH_CONFIG", "chainwatch.toml"))
    if path.is_file():
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        for key, value in data.get("chainwatch", data).items():
            if key in values:
                values[key] = value
    for s in SETTINGS:
        env = os.environ.get(f"CHAINWATCH_{s.name.upper()}")
        if env is not None and env != "":
            values[s.name] = _coerce(s.default, env)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(values)
