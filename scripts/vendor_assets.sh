#!/usr/bin/env bash
# Vendor the UI's JavaScript libraries from the npm registry into the package, with their
# licences, so the running desk never fetches anything: re-run to upgrade (edit the pins).
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX_VERSION="2.0.11"
CHARTJS_VERSION="4.6.1"
DEST="groundswell/web/static/vendor"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  npm init -y >/dev/null
  npm install --no-audit --no-fund --ignore-scripts --silent \
    "htmx.org@${HTMX_VERSION}" "chart.js@${CHARTJS_VERSION}"
)

mkdir -p "$DEST"
cp "$work/node_modules/htmx.org/dist/htmx.min.js" "$DEST/htmx.min.js"
cp "$work/node_modules/htmx.org/LICENSE" "$DEST/htmx.LICENSE"
cp "$work/node_modules/chart.js/dist/chart.umd.min.js" "$DEST/chart.umd.min.js"
cp "$work/node_modules/chart.js/LICENSE.md" "$DEST/chart.js.LICENSE.md"
cat > "$DEST/VERSIONS" <<VERSIONS
htmx.org ${HTMX_VERSION} (npm, 0BSD: see htmx.LICENSE)
chart.js ${CHARTJS_VERSION} (npm, MIT: see chart.js.LICENSE.md)
VERSIONS
echo "vendored into $DEST:"
ls -l "$DEST"
