#!/usr/bin/env bash
# bench/Co.Benchmarks under Wine: the Windows build (win-x64, self-contained, published into
# artifacts/wine/Co.Benchmarks) run by Wine's loader (/usr/lib/wine/wine64, or $CO_WINE) with the prefix
# artifacts/wine/prefix (Wine makes it on first start, ~15 s).
#
#   bench/wine.sh [UNIT|ROW ...] [--quick] [--out FILE.md]        (also: ./build.sh bench wine ...)
#
# Arguments are Co.Benchmarks' own (see bench/Co.Benchmarks/README.md); with no unit named it runs "micro handoff", the switch and
# Go rows and the cross-thread handoff against their baselines. Units that need Linux (hooks, memory) report "not on
# Windows". Figures are "under Wine": only ratios between rows of one run mean anything — never compare them with a
# Linux run, nor call them Windows figures.
# .NET's W^X mapping is turned off (DOTNET_EnableWriteXorExecute=0): under Wine 8 the runtime crashes with it on.
# Exit status: Co.Benchmarks' (0 every row measured, 1 a row failed or hung, 2 bad arguments); 124 if the whole run
# exceeded $CO_WINE_BENCH_TIMEOUT seconds (default 3600).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LOADER=${CO_WINE:-/usr/lib/wine/wine64}
[ -x "$LOADER" ] || { echo "wine.sh: no Wine loader at $LOADER (./build.sh test installs wine64)" >&2; exit 1; }

# --out is resolved here: the benchmarks run from their publish folder.
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "wine.sh: --out needs a file" >&2; exit 2; }
           mkdir -p "$(dirname "$2")"; ARGS+=(--out "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
# A unit or row name is a bare word that is not the value of --out.
units_given=0
prev=""
for a in "${ARGS[@]+"${ARGS[@]}"}"; do
  if [ "$prev" != --out ] && [[ "$a" != -* ]]; then units_given=1; fi
  prev=$a
done
[ "$units_given" = 1 ] || ARGS=(micro handoff "${ARGS[@]+"${ARGS[@]}"}")

echo "wine.sh: publishing bench/Co.Benchmarks for win-x64 (Release) into artifacts/wine/Co.Benchmarks" >&2
timeout 900 dotnet publish bench/Co.Benchmarks -c Release -r win-x64 --self-contained -o artifacts/wine/Co.Benchmarks -nologo -v quiet
echo "wine.sh: running under $("$LOADER" --version 2>/dev/null | head -1 || echo Wine): Co.Benchmarks ${ARGS[*]}" >&2
cd artifacts/wine/Co.Benchmarks
WINEPREFIX="$ROOT/artifacts/wine/prefix" WINEDEBUG=-all DOTNET_EnableWriteXorExecute=0 \
  timeout "${CO_WINE_BENCH_TIMEOUT:-3600}" "$LOADER" Co.Benchmarks.exe "${ARGS[@]}"
