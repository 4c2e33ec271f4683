"""Render the bulletin as HTML (Jinja2 template files a user can change), PDF (WeasyPrint) or DOCX."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from chainwatch.errors import ChainwatchError, InputError

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE = "bulletin.html.j2"


def render_html(ctx: dict[str, Any], charts: dict[str, bytes], template_dir: str | Path | None = None) -> str:
    folder = Path(template_dir) if template_dir else TEMPLATE_DIR
    if not (folder / TEMPLATE).is_file():
        raise InputError("report.template_missing", path=str(folder / TEMPLATE))
    env = Environment(loader=FileSystemLoader([str(folder), str(TEMPLATE_DIR)]), autoescape=select_autoescape(["html", "j2"]))
    images = {k: "data:image/png;base64," + base64.b64encode(v).decode() for k, v in charts.items()}
    return env.get_template(TEMPLATE).render(c=ctx, charts=images)


def render_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # Pango missing
        raise ChainwatchError("report.pdf_unavailable", detail=str(exc).splitlines()[0]) from exc
    return HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf()


def render_docx(ctx: dict[str, Any], charts: dict[str, bytes]) -> bytes:
    """An editable Word document with the same sections, tables and charts as the HTML."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体" if ctx["lang"] == "zh" else "Noto Sans CJK SC")
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.2)

    title = doc.add_heading(ctx["title"], level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(ctx["subtitle"])
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if ctx["synthetic"]:
        run = doc.add_paragraph().add_run(ctx["synthetic"])
        run.italic = True
        run.font.color.rgb = RGBColor(0x99, 0x33, 0x00)

    def table(columns: list[str], rows: list[list[Any]]) -> None:
        tbl = doc.add_table(rows=1, cols=len(columns))
        tbl.style = "Light Grid Accent 1"
        for i, col in enumerate(columns):
            tbl.rows[0].cells[i].text = str(col)
        for row in rows:
            cells = tbl.add_row().cells
            for i, v in enumerate(row):
                cells[i].text = "" if v is None else str(v)

    def picture(key: str) -> None:
        if key in charts:
            doc.add_picture(io.BytesIO(charts[key]), width=Cm(15))

    tt = ctx["t"]
    doc.add_heading(tt["s.overview"], level=1)
    for p in ctx["overview"]["paragraphs"]:
        doc.add_paragraph(p)
    ov = ctx["overview"]
    table(ov["columns"], [[r["indicator"], r["ytd_value"], r["ytd_yoy"], r["month_yoy"], r["two_year"]] for r in ov["rows"]])
    picture("trend")

    doc.add_heading(tt["s.chains"], level=1)
    ch = ctx["chains"]
    if ch["line"]:
        doc.add_paragraph(ch["line"])
    table(ch["columns"], [[r["name"], r["ytd"], r["ytd_yoy"], r["month_yoy"], r["share"], r["contrib"], r["pull"], r["n"], r["level"]]
                          for r in ch["display"]])
    doc.add_paragraph(tt["chain_overlap"]).runs[0].italic = True
    picture("contribution")

    doc.add_heading(tt["s.attention"], level=1)
    if ctx["attention"]["items"]:
        for item in ctx["attention"]["items"]:
            para = doc.add_paragraph(style="List Bullet")
            para.add_run(f"{item['name']}（{item['level']}）：" if ctx["lang"] == "zh" else f"{item['name']} ({item['level']}): ").bold = True
            para.add_run(item["reasons"])
    else:
        doc.add_paragraph(ctx["attention"]["none"])

    doc.add_heading(tt["s.warnings"], level=1)
    w = ctx["warnings"]
    doc.add_paragraph(w["text"])
    picture("warnings")
    if w["new"]:
        doc.add_heading(tt["warn.new"], level=2)
        table(w["columns"], [[r["level"], r["subject"], r["reason"]] for r in w["new"]])
    doc.add_heading(tt["warn.resolved"], level=2)
    if w["resolved"]:
        table(w["columns"], [[r["level"], r["subject"], r["reason"]] for r in w["resolved"]])
    else:
        doc.add_paragraph(w["no_resolved"])

    doc.add_heading(tt["s.trade"], level=1)
    tr = ctx["trade"]
    doc.add_paragraph(tr["text"])
    if tr.get("present"):
        table(tr["columns"], [[r["group"], r["flow"], r["value"], r["yoy"], r["share"], r["contrib"]] for r in tr["rows"]])
        for note in tr["notes"]:
            doc.add_paragraph(note).runs[0].italic = True

    doc.add_heading(tt["s.cultivation"], level=1)
    cu = ctx["cultivation"]
    doc.add_paragraph(cu["line"])
    table(cu["columns"], [[r["tier"], r["holders"], r["qualifies"], r["expiring"]] for r in cu["rows"]])

    doc.add_heading(tt["s.policy"], level=1)
    po = ctx["policy"]
    if po["rows"]:
        table(po["columns"], [[r["policy"], r["eligible"], r["near"], r["payout_text"], r["budget_text"]] for r in po["rows"]])
    else:
        doc.add_paragraph(po["none"])

    doc.add_heading(tt["s.methods"], level=1)
    for p in ctx["methods"]["paragraphs"]:
        doc.add_paragraph(p)
    doc.add_heading(tt["methods.data"], level=2)
    me = ctx["methods"]
    table(me["columns"], [[r["file"], r["kind"], r["when"], r["rows"]] for r in me["data"]])
    doc.add_paragraph(ctx["generated"]).runs[0].font.size = Pt(8)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
