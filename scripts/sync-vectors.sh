#!/usr/bin/env bash
# Refreshes the repository's copy of the shared SPIFFE test vectors from ../shared/vectors.
set -euo pipefail
cd "$(dirname "$0")/.."
src=../shared/vectors
[ -d "$src" ] || { echo "no $src here: nothing to refresh" >&2; exit 1; }
rsync -a --delete --exclude generate.py "$src/" test/vectors/
echo "test/vectors refreshed from $src"
