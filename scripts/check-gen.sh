#!/usr/bin/env bash
# Fails, listing the stale files, when gen/ is not exactly what proto/ generates.
# Generates into a scratch folder so the committed gen/ is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
buf generate --output "$scratch"
if ! diff -rq "$scratch/gen" gen >"$scratch.diff" 2>&1; then
  echo "gen/ is stale: run 'npm run generate' and commit gen/. Differences:" >&2
  sed -e "s|$scratch/||g" "$scratch.diff" >&2
  rm -f "$scratch.diff"
  exit 1
fi
rm -f "$scratch.diff"
echo "gen/ matches proto/"
