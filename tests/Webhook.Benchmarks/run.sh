#!/usr/bin/env bash
# The performance benchmark (not part of `dotnet test`): micro-benchmarks, then the load benchmark.
#   bash tests/Webhook.Benchmarks/run.sh            # both
#   bash tests/Webhook.Benchmarks/run.sh load       # only the load benchmark
#   bash tests/Webhook.Benchmarks/run.sh micro      # only BenchmarkDotNet
#   bash tests/Webhook.Benchmarks/run.sh soak       # the bounded soak (3 minutes; --minutes N, --workers N, --count N)
#   bash tests/Webhook.Benchmarks/run.sh daemonsets # what the DaemonSet cache costs (--count N, --daemonsets 0,N, --repeat N)
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
if [[ $what != soak && $what != daemonsets ]] && ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk
fi
dotnet build tests/Webhook.Benchmarks -c Release -v q
if [[ $what == all || $what == micro ]]; then
  dotnet tests/Webhook.Benchmarks/bin/Release/net10.0/Webhook.Benchmarks.dll micro --filter '*' --job short --memory
fi
if [[ $what == all || $what == load ]]; then
  dotnet tests/Webhook.Benchmarks/bin/Release/net10.0/Webhook.Benchmarks.dll load --out tests/Webhook.Benchmarks/results.md "${@:2}"
fi
if [[ $what == daemonsets ]]; then
  dotnet tests/Webhook.Benchmarks/bin/Release/net10.0/Webhook.Benchmarks.dll daemonsets --out tests/Webhook.Benchmarks/daemonset-results.md "${@:2}"
fi
if [[ $what == soak ]]; then
  dotnet tests/Webhook.Benchmarks/bin/Release/net10.0/Webhook.Benchmarks.dll soak --out tests/Webhook.Benchmarks/soak-results.md "${@:2}"
fi
