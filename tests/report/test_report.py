"""The monthly bulletin: all three formats in both languages on the demo city, checked by content."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from chainwatch.analytics.stats.fmt import fmt_pct
from chainwatch.service import Chainwatch

PERIOD = "2021-11"


@pytest.fixture(scope="module")
def bulletins(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes | dict]]:
    """Render html/pdf/docx in zh and en once for the module (context built once per language)."""
    from chainwatch.report.charts import all_charts
    from chainwatch.report.render import render_docx, render_html, render_pdf

    path = tmp_path_factory.mktemp("report") / "demo.duckdb"
    shutil.copy(demo_db, path)
    out: dict[str, dict[str, bytes | dict]] = {}
    with Chainwatch(path, lang="zh", actor="test") as cw:
        cw.risk.run(PERIOD)
    for lang in ("zh", "en"):
        with Chainwatch(path, lang=lang, actor="test") as cw:
            ctx = cw.reports.context(PERIOD)
            charts = all_charts(ctx)
            html = render_html(ctx, charts)
            out[lang] = {"ctx": ctx, "html": html.encode(), "pdf": render_pdf(html), "docx": render_docx(ctx, charts),
                         "headline": cw.stats.headline(PERIOD)}
    return out


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_holds_the_headline_figures_of_the_statistics_module(bulletins: dict, lang: str) -> None:
    text = "".join(_pdf_text(bulletins[lang]["pdf"]).split())
    head = bulletins[lang]["headline"]
    for ind in ("gross_output", "value_added", "profit_tax", "total_profit"):
        figure = fmt_pct(head["indicators"][ind]["ytd_yoy_pct"])
        assert figure in text, (ind, figure)
    if lang == "zh":
        assert "产业链运行监测月报" in text and "1–11月" in text
        assert "全市规上工业产值、增加值、利税、利润分别同比" in text
    else:
        assert "IndustrialChainOperationMonitoringReport" in text and "Jan–Nov" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_docx_opens_and_holds_the_tables(bulletins: dict, lang: str) -> None:
    from docx import Document

    doc = Document(io.BytesIO(bulletins[lang]["docx"]))
    tables = doc.tables
    assert len(tables) >= 5
    chain_names = {r["name"] for r in bulletins[lang]["ctx"]["chains"]["rows"]}
    first_cols = [{row.cells[0].text for row in tbl.rows} for tbl in tables]
    assert any(chain_names <= col for col in first_cols), "the chain table lists every chain"
    body = "\n".join(p.text for p in doc.paragraphs)
    assert bulletins[lang]["headline"]["sentence"] in body
    assert len(doc.inline_shapes) >= 2  # charts


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_has_every_section_and_embedded_charts(bulletins: dict, lang: str) -> None:
    html = bulletins[lang]["html"].decode()
    ctx = bulletins[lang]["ctx"]
    for key in ("s.overview", "s.chains", "s.attention", "s.warnings", "s.trade", "s.cultivation", "s.policy", "s.methods"):
        assert ctx["t"][key] in html
    assert html.count("data:image/png;base64,") >= 3
    assert "http://" not in html and "https://" not in html  # nothing loaded from outside
    assert ctx["warnings"]["ran"] and sum(ctx["warnings"]["counts"].values()) > 0
    assert ctx["trade"]["present"] and ctx["cultivation"]["rows"] and ctx["policy"]["rows"]


def test_declines_are_worded_as_declines() -> None:
    from chainwatch.report.context import growth_word

    assert growth_word(-1.44, "zh") == "下降 1.4%"
    assert growth_word(4.3, "zh") == "增长 4.3%"
    assert growth_word(-2.0, "en") == "fell 2.0%"
    assert growth_word(None, "zh") == "—"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_pdf_first_page_renders_with_cjk_glyphs(bulletins: dict, tmp_path: Path) -> None:
    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(bulletins["zh"]["pdf"])
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts, fonts  # a CJK font is embedded
    assert " yes " in fonts.split("\n", 2)[2]  # embedded ("emb" column)
    subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-gray", "-png", str(pdf), str(tmp_path / "p")], check=True)
    from matplotlib.image import imread

    page = imread(next(tmp_path.glob("p*.png")))
    if page.ndim == 3:
        page = page[..., 0]
    assert page.std() > 0.05  # not blank
    # the title band. A missing-glyph box crosses any row or column of pixels at exactly 4 edges;
    # real Chinese glyphs (监、测、月 …) stack many horizontal strokes, so some column crosses 10 or more.
    band = page[int(page.shape[0] * 0.06): int(page.shape[0] * 0.14)] < 0.6
    band = band[band.any(axis=1)][:, band.any(axis=0)]
    across_rows = np.abs(np.diff(band.astype(int), axis=1)).sum(axis=1)
    across_cols = np.abs(np.diff(band.astype(int), axis=0)).sum(axis=0)
    n_glyphs = len("产业链运行监测月报")
    assert across_cols.max() >= 10, across_cols.max()
    assert across_rows.max() > 4 * n_glyphs, across_rows.max()


def test_cli_writes_a_bulletin(demo_db_copy: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from chainwatch.cli.main import app

    out = tmp_path / "b.html"
    r = CliRunner().invoke(app, ["--lang", "en", "report", "--period", PERIOD, "--format", "html", "-o", str(out), "--db", demo_db_copy])
    assert r.exit_code == 0, r.output
    assert "Industrial Chain Operation Monitoring Report" in out.read_text(encoding="utf-8")
    r = CliRunner().invoke(app, ["report", "--period", PERIOD, "--format", "odt", "--db", demo_db_copy])
    assert r.exit_code == 2
    r = CliRunner().invoke(app, ["report", "--period", "2030-01", "--db", demo_db_copy])
    assert r.exit_code == 1


def test_bulletin_says_when_no_warning_run_exists(demo_cw: Chainwatch) -> None:
    from chainwatch.model.periods import Period
    from chainwatch.report.context import _warnings

    assert not demo_cw.risk.has_run(PERIOD)
    before = _warnings(demo_cw, Period.parse(PERIOD), "en")
    assert not before["ran"] and "chainwatch warn --period 2021-11" in before["text"]
    demo_cw.risk.run(PERIOD)
    assert demo_cw.risk.has_run(PERIOD) and not demo_cw.risk.has_run("2021-10")
    assert _warnings(demo_cw, Period.parse(PERIOD), "en")["ran"]
    assert demo_cw.data.is_demo()
