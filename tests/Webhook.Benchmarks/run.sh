#!/usr/bin/env bash
# The performance benchmark (not part of `dotnet test`): micro-benchmarks, then the load benchmark.
#   bash tests/Webhook.Benchmarks/run.sh            # both
#   bash tests/Webhook.Benchmarks/run.sh load       # only the load benchmark
#   bash tests/Webhook.Benchmarks/run.sh micro      # only BenchmarkDotNet
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk
fi
what=${1:-all}
dotnet build tests/Webhook.Benchmarks -c Release -v q
if [[ $what == all || $what == micro ]]; then
  dotnet tests/Webhook.Benchmarks/bin/Release/net10.0/Webhook.Benchmarks.dll micro --filter '*' --job short --memory
fi
if [[ $what == all || $what == load ]]; then
  dotnet tests/Webhook.Benchmarks/bin/Release/net10.0/Webhook.Benchmarks.dll load --out tests/Webhook.Benchmarks/results.md "${@:2}"
fi
