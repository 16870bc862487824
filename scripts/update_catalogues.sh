#!/usr/bin/env bash
# Re-extract the UI's messages and merge them into the catalogues (Babel's pybabel).
# Then translate the new or changed entries of groundswell/web/locale/zh_CN/.../messages.po
# (tests/web/ui/test_i18n.py fails while one lacks a translation). The .po files are read
# at run time: there is no compile step.
set -euo pipefail
cd "$(dirname "$0")/.."
pot="$(mktemp --suffix=.pot)"
trap 'rm -f "$pot"' EXIT
pybabel extract -F groundswell/web/locale/babel.cfg -k N_ --no-location --sort-output \
  --project Groundswell -o "$pot" .
for locale in zh_CN en; do
  pybabel update -i "$pot" -d groundswell/web/locale -l "$locale" \
    --no-fuzzy-matching --width 100
done
