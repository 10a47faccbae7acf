#!/usr/bin/env bash
# Set up a fresh checkout: a virtualenv in .venv with everything installed, catalogs compiled.
# Safe to run again; it only installs what is missing.
#   --with-browser  also Debian's chromium, for the browser tests of the web sandbox
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --with-browser) WITH_BROWSER=1 ;;
    *) echo "usage: $0 [--with-browser]" >&2; exit 2 ;;
  esac
done

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "note: install $* with your package manager" >&2
  fi
}

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
# GNU gettext's msgfmt validates the catalogs (scripts/i18n.py check).
command -v msgfmt >/dev/null 2>&1 || apt_install gettext
# The scale-out test puts Debian's haproxy in front of two bot processes (deploy/haproxy.cfg).
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || apt_install haproxy
# The helpers' badge card (community/badge_card.py) draws every locale's script: Noto Sans,
# Arabic and Devanagari (fonts-noto-core) and CJK (fonts-noto-cjk). Pillow's wheels bring
# their own libraqm for shaping, so no libraqm0 is needed.
if [ ! -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] \
   || [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then
  apt_install fonts-noto-core fonts-noto-cjk
fi
# The browser tests drive Debian's chromium through playwright; they never download a browser.
if [ "$WITH_BROWSER" = 1 ] && [ ! -x /usr/bin/chromium ]; then apt_install chromium fonts-noto-color-emoji; fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# torch first, pinned to the CPU build: argostranslate's stanza dependency would otherwise
# pull the newest torch with several GB of CUDA wheels.
python -c "import torch" 2>/dev/null || python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[dev]"
python scripts/i18n.py compile >/dev/null
echo "setup done: .venv ready"
