#!/usr/bin/env bash
# Set up chainwatch on a fresh Debian/Ubuntu machine: system packages (optional), a virtualenv in
# .venv with chainwatch installed, and the dashboard's front-end assets (ECharts and Swagger UI from the npm registry).
#   bash scripts/setup.sh            # Python package + web assets
#   bash scripts/setup.sh --test     # ... plus test dependencies
#   bash scripts/setup.sh --system   # ... plus Debian packages: chromium (browser tests), fonts-noto-cjk
#                                    #     (Chinese PDFs), poppler-utils (pdftoppm), pango for WeasyPrint,
#                                    #     default-jre-headless when java is missing (Spark engine),
#                                    #     postgresql (server binaries the PostgreSQL tests start)
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
with_system=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test=1 ;;
    --system) with_system=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

if [ "$with_system" = 1 ]; then
  pkgs=(chromium fonts-noto-cjk poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 nodejs npm
        libreoffice-calc-nogui postgresql)
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  # node/npm may come from elsewhere (e.g. a preinstalled toolchain): do not install Debian's over it
  if command -v npm >/dev/null 2>&1; then
    missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
  fi
  # Java for the Spark engine (pyspark starts a JVM): Debian's default JRE when no java is on PATH
  if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ]; then
    missing+=(default-jre-headless)
  fi
  read -r -a missing <<< "${missing[*]:-}"
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" != 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$with_test" = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
else
  .venv/bin/python -m pip install -q -e .
fi

# front-end assets: ECharts and Swagger UI from the npm registry, copied into the package (never a CDN)
if [ -f package.json ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund --loglevel=error
    npm run --silent build
  else
    echo "warning: npm not found; the dashboard's charts need 'npm ci && npm run build'" >&2
  fi
fi
echo "chainwatch is set up in .venv"
