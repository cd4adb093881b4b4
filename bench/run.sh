#!/usr/bin/env bash
# Seed a large database and print the portal's speed and memory figures.
# Loopback only. Set BENCH_DATABASE_URL=postgres://... to measure PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk (Debian package) for the requests-per-second figures"
    (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null 2>&1 || echo "could not install wrk; throughput will be skipped"
fi
cargo bench --bench portal
cargo bench --bench signin_flood
cargo bench --bench api
