#!/usr/bin/env bash
# One entry point for Co for .NET: build | test | bench | demo.
#   ./build.sh demo    runs the main demo (samples/ThirdPartyClients: unmodified blocking clients in coroutines, hooks
#                      on vs off; arguments after "demo" are the demo's, e.g. --check); ./build.sh demo seed runs
#                      samples/SeedExamples (co's documented examples, live)
#   ./build.sh test    installs what the tests need (Wine included), builds, publishes the runtime's scenario host for
#                      win-x64, runs every test suite (the Windows scenarios under Wine among them; the adversarial
#                      suite as a pass of its own, counted apart in the summary; the runtime suite once more in Debug,
#                      with the baton invariant's checks on), then packs the solution and checks the packages
#   ./build.sh bench   runs the side-by-side benchmarks (ratios against baselines measured in the same run);
#                      ./build.sh bench echo runs the echo-server comparison (bench/echo.sh); ./build.sh bench wine
#                      [units...] runs the Windows build of the benchmarks under Wine (bench/wine.sh; ratios only)
#   ./build.sh build   builds everything in Release
set -euo pipefail
cd "$(dirname "$0")"

CONFIG=Release
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

require_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "build.sh: the .NET 10 SDK (dotnet) is required and was not found on PATH." >&2
    exit 1
  fi
}

build() {
  require_dotnet
  dotnet build Co.sln -c "$CONFIG" -nologo -v quiet
}

# The native libraries the tests load (tests/services/packages.sh installs any that is missing), then the services the
# tests talk to, started for this run and stopped when it ends, however it ends: a throwaway
# PostgreSQL on 127.0.0.1 for the libpq tests (tests/services/postgres.sh installs it if missing; CO_TEST_PG, exported
# to dotnet test and the child processes, is its connection string). A server that cannot be started fails the run.
start_services() {
  tests/services/packages.sh
  local postgres
  if ! postgres=$(tests/services/postgres.sh start); then
    echo "build.sh: could not start PostgreSQL for the tests (tests/services/postgres.sh start failed)" >&2
    exit 1
  fi
  eval "$postgres"
  trap stop_services EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

stop_services() {
  if [ -n "${CO_TEST_PG_DIR:-}" ]; then
    tests/services/postgres.sh stop "$CO_TEST_PG_DIR" || true
  fi
}

# The Windows build of the runtime's scenario host, which tests/Co.Runtime.Tests/UnderWine runs under Wine: published
# for win-x64, self-contained (the runtime pack comes from NuGet), into artifacts/wine/Co.TestHost (and the samples it
# runs there, SeedExamples and EchoServer, into artifacts/wine/<sample>, and bench/Co.Benchmarks for its smoke runs
# into artifacts/wine/Co.Benchmarks), and a fresh
# throwaway WINEPREFIX in artifacts/wine/prefix, made here by one start of the host (before the tests, so parallel tests
# never race to make it). That start must list the host's scenarios: if Wine cannot start .NET at all, the run stops
# here saying so, never skipping the Windows tests.
prepare_wine() {
  local loader=${CO_WINE:-/usr/lib/wine/wine64} prefix="$PWD/artifacts/wine/prefix" output
  dotnet publish tests/Co.TestHost -c "$CONFIG" -r win-x64 --self-contained -o artifacts/wine/Co.TestHost -nologo -v quiet
  local sample
  for sample in SeedExamples EchoServer; do
    dotnet publish "samples/$sample" -c "$CONFIG" -r win-x64 --self-contained -o "artifacts/wine/$sample" -nologo -v quiet
  done
  dotnet publish bench/Co.Benchmarks -c "$CONFIG" -r win-x64 --self-contained -o artifacts/wine/Co.Benchmarks -nologo -v quiet
  if [ -d "$prefix" ]; then
    WINEPREFIX="$prefix" "$(dirname "$loader")/wineserver" -k 2>/dev/null || true
    rm -rf "$prefix"
  fi
  output=$(WINEPREFIX="$prefix" WINEDEBUG=-all timeout 300 "$loader" artifacts/wine/Co.TestHost/Co.TestHost.exe 2>&1 || true)
  if ! grep -q "scenarios:" <<<"$output"; then
    echo "build.sh: Wine ($loader) could not start the Windows build of tests/Co.TestHost; its output:" >&2
    echo "$output" >&2
    exit 1
  fi
}

# The packages as a user gets them: the built solution packed into artifacts/packages, then tests/Co.PackageCheck (a
# program that references only the Co.Hooks package) restored from there — and Iced from the machine's global packages
# folder, where the solution's restore put it — into a packages folder of its own, and run twice: calling Co.Hooks.Enable(), and with DOTNET_STARTUP_HOOKS at the package's startup-hook
# folder. Each run prints "Passed: 1" or "Failed: 1", which the summary counts; any failure fails the run.
pack_check() {
  rm -rf artifacts/packages artifacts/package-check/packages/co.*
  CO_NUGET_GLOBAL_PACKAGES=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: //p')
  export CO_NUGET_GLOBAL_PACKAGES
  if ! dotnet pack Co.sln -c "$CONFIG" --no-build -nologo -v quiet \
     || ! dotnet restore tests/Co.PackageCheck --force -nologo -v quiet \
     || ! dotnet build tests/Co.PackageCheck -c "$CONFIG" --no-restore -nologo -v quiet; then
    echo "Package check: packing the solution or building tests/Co.PackageCheck from the packages failed. Failed: 1"
    return 1
  fi
  local program="tests/Co.PackageCheck/bin/$CONFIG/net10.0/Co.PackageCheck.dll" hook status=0
  hook=$(echo "$PWD"/artifacts/package-check/packages/co.hooks/*/startup-hook/Co.Hooks.Startup.dll)
  dotnet "$program" || status=1
  DOTNET_STARTUP_HOOKS="$hook" dotnet "$program" || status=1
  return "$status"
}

# The sum of dotnet test's "Passed: N" (or "Failed: N") counts in a log.
count_in() {
  (grep -Eo "$1: +[0-9]+" "$2" || true) | awk '{ s += $2 } END { print s + 0 }'
}

run_tests() {
  require_dotnet
  start_services
  build
  prepare_wine
  local log
  log=$(mktemp)
  set +e
  # Every test but the adversarial suite and the runs under Wine; then the suite alone (tests/README.md, "The
  # adversarial suite"), whose own count goes into the summary; then the runs under Wine alone: each Wine child keeps a
  # CPU busy for seconds, and beside them the tests that prove concurrency against a server's timing (the PostgreSQL
  # rows of the demo check) missed their bounds. Each test runs once.
  dotnet test Co.sln -c "$CONFIG" --no-build -nologo --filter "Suite!=Adversarial&FullyQualifiedName!~.UnderWine." \
    --logger "console;verbosity=normal" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local adversarial_log
  adversarial_log=$(mktemp)
  dotnet test Co.sln -c "$CONFIG" --no-build -nologo --filter "Suite=Adversarial" --logger "console;verbosity=normal" 2>&1 | tee "$adversarial_log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  cat "$adversarial_log" >> "$log"
  dotnet test tests/Co.Runtime.Tests -c "$CONFIG" --no-build -nologo --filter "FullyQualifiedName~.UnderWine." \
    --logger "console;verbosity=normal" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  # The runtime suite once more in Debug, where the baton invariant's checks are compiled in (docs/ARCHITECTURE.md,
  # "Checked in Debug builds"); its counts go into the same summary. The runs under Wine are left out there: they run
  # the Release publish of the host, once, above.
  dotnet build tests/Co.Runtime.Tests -c Debug -nologo -v quiet 2>&1 | tee -a "$log"
  local debug_status=${PIPESTATUS[0]}
  if [ "$debug_status" -eq 0 ]; then
    dotnet test tests/Co.Runtime.Tests -c Debug --no-build -nologo --filter "FullyQualifiedName!~.UnderWine." \
      --logger "console;verbosity=normal" 2>&1 | tee -a "$log"
    debug_status=${PIPESTATUS[0]}
  fi
  [ "$debug_status" -eq 0 ] || status=1
  pack_check 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  set -e
  # One plain summary line over all test assemblies ("N passed, N failed"), for people and CI alike.
  local passed failed
  passed=$(count_in Passed "$log")
  failed=$(count_in Failed "$log")
  local adversarial_passed adversarial_failed
  adversarial_passed=$(count_in Passed "$adversarial_log")
  adversarial_failed=$(count_in Failed "$adversarial_log")
  rm -f "$log" "$adversarial_log"
  echo "${passed:-0} passed, ${failed:-0} failed (of which the adversarial suite: ${adversarial_passed:-0} passed, ${adversarial_failed:-0} failed)"
  if [ "${adversarial_passed:-0}" -eq 0 ]; then
    echo "build.sh: the adversarial suite ran no test" >&2
    status=1
  fi
  if [ "${passed:-0}" -eq 0 ] && [ "$status" -eq 0 ]; then
    echo "build.sh: no test ran" >&2
    return 1
  fi
  return "$status"
}

case "${1:-build}" in
  build) build ;;
  test) run_tests ;;
  bench)
    require_dotnet
    shift
    if [ "${1:-}" = echo ]; then
      shift
      exec bench/echo.sh "$@"
    fi
    if [ "${1:-}" = wine ]; then
      shift
      exec bench/wine.sh "$@"
    fi
    dotnet run -c "$CONFIG" --project bench/Co.Benchmarks -- "${@:-all}" ;;
  demo)
    require_dotnet
    shift
    if [ "${1:-}" = seed ]; then
      dotnet run -c "$CONFIG" --project samples/SeedExamples
    else
      dotnet run -c "$CONFIG" --project samples/ThirdPartyClients -- "$@"
    fi ;;
  *)
    echo "usage: ./build.sh build|test|bench|demo [seed]" >&2
    exit 2 ;;
esac
