#!/usr/bin/env bash
# Set up a fresh checkout: a virtualenv in .venv with everything installed, catalogs compiled.
# Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if ! command -v msgfmt >/dev/null 2>&1; then
  # GNU gettext's msgfmt validates the catalogs (scripts/i18n.py check).
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq gettext >/dev/null
  else
    echo "note: install GNU gettext (msgfmt) to validate catalogs" >&2
  fi
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# torch first, pinned to the CPU build: argostranslate's stanza dependency would otherwise
# pull the newest torch with several GB of CUDA wheels.
python -c "import torch" 2>/dev/null || python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[dev]"
python scripts/i18n.py compile >/dev/null
echo "setup done: .venv ready"
