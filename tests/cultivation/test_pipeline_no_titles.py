"""A city whose title register is still empty gets a pipeline (regression: TypeError on empty titles)."""

from __future__ import annotations

import pandas as pd

from chainwatch.service import Chainwatch


def test_pipeline_without_any_title(demo_cw: Chainwatch) -> None:
    demo_cw.store.execute("DELETE FROM enterprise_title")
    df = pd.DataFrame(demo_cw.cultivation.pipeline().tables["pipeline"])
    city = df[df["level"] == "city"]
    assert len(city) > 0
    assert (city["holders"] == 0).all()
    assert city["qualifies_not_held"].sum() > 0
