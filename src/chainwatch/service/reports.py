"""Report service: the monthly bulletin in zh/en as HTML, PDF or DOCX."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from chainwatch.errors import UsageError

if TYPE_CHECKING:
    from chainwatch.service import Chainwatch

FORMATS = ("html", "pdf", "docx")


class ReportService:
    def __init__(self, cw: Chainwatch) -> None:
        self.cw = cw

    def context(self, period: str) -> dict[str, Any]:
        """Everything the bulletin shows, as plain data (also the JSON form of the report)."""
        from chainwatch.report.context import build_context

        return build_context(self.cw, period)

    def bulletin(self, period: str, fmt: str = "html", *, template_dir: str | Path | None = None) -> bytes:
        """Render the bulletin of ``period`` in the service's language; returns the file's bytes."""
        from chainwatch.report.charts import all_charts
        from chainwatch.report.render import render_docx, render_html, render_pdf

        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise UsageError("report.bad_format", fmt=fmt)
        ctx = self.context(period)
        charts = all_charts(ctx)
        if fmt == "docx":
            return render_docx(ctx, charts)
        html = render_html(ctx, charts, template_dir)
        return html.encode("utf-8") if fmt == "html" else render_pdf(html)

    def write(self, period: str, fmt: str, output: str | Path | None = None, *,
              template_dir: str | Path | None = None) -> Path:
        data = self.bulletin(period, fmt, template_dir=template_dir)
        path = Path(output) if output else Path(f"bulletin-{period}-{self.cw.lang}.{fmt.lower()}")
        path.write_bytes(data)
        self.cw.store.audit(self.cw.actor, "report", str(path), f"period={period} lang={self.cw.lang} format={fmt}")
        return path
