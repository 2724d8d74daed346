#!/bin/sh
# Fuzz (harness) briefly from (corpus) for (seconds), writing new inputs to a scratch dir so the
# committed corpus only changes by hand. Fails on any crash, leak or timeout.
set -eu
harness=$1 corpus=$2 seconds=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
exec "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$scratch/" -print_final_stats=1 "$scratch" "$corpus"
