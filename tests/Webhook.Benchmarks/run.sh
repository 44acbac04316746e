#!/usr/bin/env bash
# The performance benchmarks (not part of `dotnet test`); README "Performance" says what each measures.
#   bash tests/Webhook.Benchmarks/run.sh            # micro, then load
#   bash tests/Webhook.Benchmarks/run.sh shape      # issue 16's figures: realistic shape ×1 and ×10, paged and unpaged
#                                                   # lists, 5 min of mixed load with the reporter on, wrk per request,
#                                                   # the baseline beside it, sizing rows (`shape --help` for every flag)
#   bash tests/Webhook.Benchmarks/run.sh shape --scale 1 --minutes 1    # one configuration, quickly
#   bash tests/Webhook.Benchmarks/run.sh shape --aot                    # the same against a Native AOT publish
#   bash tests/Webhook.Benchmarks/run.sh load       # the first load benchmark (N claims + N Deployments, 1–128 connections)
#   bash tests/Webhook.Benchmarks/run.sh micro      # only BenchmarkDotNet
#   bash tests/Webhook.Benchmarks/run.sh soak       # the bounded soak (3 minutes; --minutes N, --workers N, --count N)
#   bash tests/Webhook.Benchmarks/run.sh daemonsets # what the DaemonSet cache costs (--count N, --daemonsets 0,N, --repeat N)
# load and shape write their sections of tests/Webhook.Benchmarks/results.md (--out FILE to write elsewhere).
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
if [[ $what != soak && $what != daemonsets ]] && ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk
fi
if [[ " $* " == *" --aot "* ]] && ! command -v clang >/dev/null; then
  # Native AOT links with clang and needs zlib's headers.
  apt-get update -qq && apt-get install -y -qq clang zlib1g-dev
fi
dotnet build tests/Webhook.Benchmarks -c Release -v q
bench=tests/Webhook.Benchmarks/bin/Release/net10.0/Webhook.Benchmarks.dll
results=tests/Webhook.Benchmarks/results.md
if [[ $what == all || $what == micro ]]; then
  dotnet $bench micro --filter '*' --job short --memory
fi
if [[ $what == all || $what == load ]]; then
  dotnet $bench load "${@:2}" --out $results
fi
if [[ $what == shape ]]; then
  dotnet $bench shape "${@:2}" --out $results
fi
if [[ $what == daemonsets ]]; then
  dotnet tests/Webhook.Benchmarks/bin/Release/net10.0/Webhook.Benchmarks.dll daemonsets --out tests/Webhook.Benchmarks/daemonset-results.md "${@:2}"
fi
if [[ $what == soak ]]; then
  dotnet $bench soak "${@:2}" --out tests/Webhook.Benchmarks/soak-results.md
fi
