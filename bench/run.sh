#!/usr/bin/env bash
# Seed large databases and print the portal's speed and memory figures,
# SQLite and PostgreSQL side by side (PostgreSQL in a fresh database on
# BENCH_POSTGRES_URL, default the local `test`). Loopback only.
# BENCH_DATABASE_URL=... measures that one database alone.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (Debian package) for the requests-per-second figures"
    (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1 || echo "could not install wrk; throughput will be skipped"
fi
cargo bench --bench portal
cargo bench --bench signin_flood
cargo bench --bench api
cargo bench --bench brake
cargo bench --bench import
cargo bench --bench units
