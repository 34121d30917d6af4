#!/usr/bin/env bash
# lint.sh DUMP_OPENAPI: the generated OpenAPI document passes redocly lint
# (scripts/webtools installs the linter from npm on first use).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
out=$(mktemp --suffix=.json)
trap 'rm -f "$out"' EXIT
"$1" >"$out"
"$ROOT/scripts/webtools" lint "$out"
