#!/usr/bin/env bash
# Vendor the pinned front-end libraries into static/vendor/ from the npm registry.
# The product never loads them from a CDN: it must work on a closed network.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() {  # package version file-inside-package destination
  (cd "$work" && npm pack --silent "$1@$2" >/dev/null)
  tar -xzf "$work/$(echo "$1" | tr -d '@' | tr '/' '-')-$2.tgz" -C "$work"
  # The source maps are not vendored; a dangling sourceMappingURL breaks collectstatic's manifest.
  sed '/^\/\/# sourceMappingURL=/d' "$work/package/$3" > "static/vendor/$4"
  rm -rf "$work/package"
}
mkdir -p static/vendor
fetch htmx.org 2.0.4 dist/htmx.min.js htmx.min.js
fetch chart.js 4.4.9 dist/chart.umd.js chart.umd.min.js
echo "vendored: $(ls static/vendor)"
