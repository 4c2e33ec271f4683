"""The statistics are backend-neutral Ibis: they compile for Spark SQL (PySpark backend) as well.

pyspark itself is not a dependency; compiling needs only ibis's PySpark compiler, whose one option
is normally registered by importing the backend, so the test registers it for the duration.
"""

from __future__ import annotations

import ibis
import pytest

from chainwatch.analytics.stats import GROUP_TYPES, stats_expr
from chainwatch.analytics.stats.series import series_expr


@pytest.fixture()
def spark_options():
    from ibis.config import Config

    class PySparkOptions(Config):
        treat_nan_as_null: bool = False

    old = ibis.options.pyspark
    if old is None:
        ibis.options.pyspark = PySparkOptions()
    yield
    ibis.options.pyspark = old


def test_statistics_compile_for_spark(cw, spark_options):
    tabs = cw.stats._tables()
    sql = ibis.to_sql(stats_expr(tabs, 2021, 11, by=list(GROUP_TYPES)), dialect="pyspark")
    assert "GROUP BY" in sql and "`monthly_value`" in sql  # Spark quoting
    series = ibis.to_sql(series_expr(tabs, [(2021, 2), (2021, 11)], "chain", "CH1", "value_added"),
                         dialect="pyspark")
    assert "UNION ALL" in series.upper()
