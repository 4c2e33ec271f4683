"""Front-end assets: ECharts is vendored from the npm registry by the build, never from a CDN.

Build (from the repository root)::

    npm ci                                  # installs echarts as pinned in package-lock.json
    npm run build                           # copies it into src/chainwatch/web/static/vendor/
    # or, equivalently, without npm scripts:
    python -m chainwatch.web.assets         # copies node_modules/echarts/dist/echarts.min.js

The server starts without the asset and every page then shows how to install it; tables work.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

VENDOR = Path(__file__).parent / "static" / "vendor"
ECHARTS = VENDOR / "echarts.min.js"
FILES = ("dist/echarts.min.js", "LICENSE")


def echarts_present() -> bool:
    """True when the vendored ECharts bundle is in place."""
    return ECHARTS.is_file() and ECHARTS.stat().st_size > 100_000


def build(root: Path | None = None) -> list[Path]:
    """Copy ECharts from ``<root>/node_modules/echarts`` into the static vendor folder."""
    root = root or Path.cwd()
    source = root / "node_modules" / "echarts"
    if not (source / FILES[0]).is_file():
        raise FileNotFoundError(f"{source / FILES[0]} not found: run `npm ci` in {root} first")
    VENDOR.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in FILES:
        target = VENDOR / Path(name).name
        shutil.copyfile(source / name, target)
        copied.append(target)
    return copied


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0]) if args else None
    try:
        for path in build(root):
            print(f"copied {path}")
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
