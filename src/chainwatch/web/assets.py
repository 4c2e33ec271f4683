"""Front-end assets: ECharts (charts) and Swagger UI (``/api/docs``) are vendored from the npm
registry by the build, never loaded from a CDN.

Build (from the repository root)::

    npm ci                                  # installs echarts and swagger-ui-dist as pinned in package-lock.json
    npm run build                           # copies them into src/chainwatch/web/static/vendor/
    # or, equivalently, without npm scripts:
    python -m chainwatch.web.assets         # copies the same files from node_modules

The server starts without the assets: pages then say how to install them (tables work), and
``/api/docs`` says the same (the OpenAPI document stays at ``/api/openapi.json``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

VENDOR = Path(__file__).parent / "static" / "vendor"
ECHARTS = VENDOR / "echarts.min.js"
SWAGGER = VENDOR / "swagger-ui"
#: npm package → (files in the package, folder under static/vendor)
PACKAGES = {
    "echarts": (("dist/echarts.min.js", "LICENSE"), VENDOR),
    "swagger-ui-dist": (("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"), SWAGGER),
}
FILES = PACKAGES["echarts"][0]


def echarts_present() -> bool:
    """True when the vendored ECharts bundle is in place."""
    return ECHARTS.is_file() and ECHARTS.stat().st_size > 100_000


def swagger_present() -> bool:
    """True when the vendored Swagger UI (bundle and stylesheet) is in place."""
    bundle = SWAGGER / "swagger-ui-bundle.js"
    return bundle.is_file() and bundle.stat().st_size > 100_000 and (SWAGGER / "swagger-ui.css").is_file()


def build(root: Path | None = None) -> list[Path]:
    """Copy ECharts and Swagger UI from ``<root>/node_modules`` into the static vendor folder."""
    root = root or Path.cwd()
    copied = []
    for package, (files, target_dir) in PACKAGES.items():
        source = root / "node_modules" / package
        if not (source / files[0]).is_file():
            raise FileNotFoundError(f"{source / files[0]} not found: run `npm ci` in {root} first")
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in files:
            target = target_dir / Path(name).name
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
