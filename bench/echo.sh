#!/usr/bin/env bash
# Echo-server benchmark: samples/EchoServer in five modes and Go's echo server (bench/goecho: a goroutine per
# connection, 4 KiB Read/Write loop) driven by bench/loadgen (closed loop, 64-byte messages), all ratios computed from
# this one run.
#
#   bench/echo.sh [--duration S] [--warmup S] [--rounds N] [--modes "async sync dotnet threads hooked go"] [--conns "100 1000"]
#                 [--port BASE] [--out FILE.md] [--no-syscalls] [--wait-quiet S] [--quick] [--shared] [--wine]
#
# CPUs: by default the load generator gets the last CPU and every server the others (taskset), so that each
# server, whatever its threading, competes with nobody and gets the same CPUs as the others (on 2 CPUs: one each;
# the Co runtime then runs one scheduler, as it sees one CPU). --shared lets all of them float over all CPUs.
#
# --wine: the servers are the Windows build of samples/EchoServer (win-x64, self-contained, published into
# artifacts/wine/EchoServer) run under Wine (/usr/lib/wine/wine64, prefix artifacts/wine/prefix), against the same
# Linux loadgen; modes async sync dotnet threads (the hooks are Linux's, and Go's server would run natively), no
# syscall counts. Its figures are "under
# Wine": only the ratios between its rows mean anything, never a comparison with a Linux run. Server CPU columns count
# the Windows process only, not the wineserver that serves part of its system calls.
#
# 1. builds bench/loadgen/loadgen (gcc -O2), samples/EchoServer (Release) and, when mode go is asked for, bench/goecho
#    (go build; installs Debian's golang-go with apt-get when go is missing and this runs as root);
# 2. for each C in --conns and each mode: starts the server, runs loadgen for --duration s after --warmup s, records round trips/s, p50/p99,
#    loadgen's own CPU (percent of one core), server CPU per round trip and server OS threads, stops the server;
#    --rounds N (default 3) interleaved rounds; each row shows the round with the median round trips/s;
#    --wait-quiet S: before each measurement wait up to S seconds for the machine to be idle (< 15% of one core
#    busy over 1 s) — for shared machines; the "other load" column still shows what happened during the run;
#    diagnostic variants of the Co modes can be added to --modes: async+nopin, sync+sched1, ... (--no-pin, --sched N);
# 3. prints the table and the ratios at every C, with the targets of the open issues: async/go ≥ 1.05, sync/threads
#    ≥ 0.9, hooked/sync ≥ 0.95 (hooked is the threads server's own blocking Socket code in sync coroutines with
#    Co.Hooks enabled, so hooked/sync is the hook layer against the runtime's own Sock calls); async/dotnet and
#    hooked/threads for reference;
# 4. syscalls per round trip at C=100 for every mode: perf stat -e raw_syscalls:sys_enter
#    attached to the running server (full speed), and strace -f -c attached likewise (per-syscall breakdown; the
#    server runs much slower under ptrace). Each count is divided by the round trips loadgen completed while
#    attached (after an unattached 1 s warm-up load, loadgen runs with -w 0, so its roundtrips_total covers the
#    whole attach window).
# Exit status: 0 when every row was measured (targets met or not), 1 when a run failed, 2 on bad arguments.
# Takes about 5 minutes with the defaults (--quick: about 1 minute, one round, not for the record).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=5
WARMUP=1
ROUNDS=3
MODES="async sync dotnet threads hooked go"
CONNS="100 1000"
PORT_BASE=17810
OUT_MD=""
SYSCALLS=1
SYSCALL_MODES="async sync dotnet threads hooked go"
SYSCALL_CONNS=100
SYSCALL_DURATION=3
WAIT_QUIET=0
SHARED=0
WINE=0
MODES_GIVEN=0

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --modes) MODES=$2; SYSCALL_MODES=$2; MODES_GIVEN=1; shift 2 ;;
    --conns) CONNS=$2; shift 2 ;;
    --port) PORT_BASE=$2; shift 2 ;;
    --out) OUT_MD=$2; shift 2 ;;
    --no-syscalls) SYSCALLS=0; shift ;;
    --wait-quiet) WAIT_QUIET=$2; shift 2 ;;
    --shared) SHARED=1; shift ;;
    --wine) WINE=1; shift ;;
    --quick) DURATION=2; WARMUP=0.5; ROUNDS=1; SYSCALL_DURATION=1; shift ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "echo.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$WINE" = 1 ]; then
  [ "$MODES_GIVEN" = 1 ] || MODES="async sync dotnet threads"
  SYSCALLS=0
fi

SERVER_PIN=()
LOADGEN_PIN=()
CPUS=$(nproc)
if [ "$SHARED" = 0 ] && [ "$CPUS" -ge 2 ] && command -v taskset >/dev/null; then
  SERVER_PIN=(taskset -c "0-$((CPUS - 2))")
  LOADGEN_PIN=(taskset -c "$((CPUS - 1))")
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
WORK=$(mktemp -d /tmp/co-echo-bench.XXXXXX)
SERVER_TPID=""   # pid of the `timeout` wrapper around the server
SERVER_PID=""    # pid of the server itself
SERVER_LOG=""
TRACER_PID=""
LOADGEN_PID=""
FAILED=0

cleanup() {
  local status=$?
  trap '' INT TERM   # a second signal (timeout signals the whole process group) must not cut the clean-up short
  [ -n "$TRACER_PID" ] && kill -INT "$TRACER_PID" 2>/dev/null || true
  [ -n "$LOADGEN_PID" ] && kill -TERM "$LOADGEN_PID" 2>/dev/null || true
  declare -F stop_server >/dev/null && stop_server
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[echo.sh] $*" >&2; }

# ---------------------------------------------------------------- limits
want_fds=$(( $(echo "$CONNS" | tr ' ' '\n' | sort -n | tail -1) * 2 + 256 ))
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want_fds" ]; then
  echo "echo.sh: open-file limit $(ulimit -n) is below the $want_fds needed for --conns '$CONNS'" >&2
  exit 1
fi
log "open-file limit: $(ulimit -n)"

# ---------------------------------------------------------------- build
LOADGEN=$ROOT/bench/loadgen/loadgen
log "building loadgen"
gcc -O2 -g -Wall -Wextra -Werror -std=gnu11 -o "$LOADGEN" bench/loadgen/loadgen.c -lpthread
case " $MODES " in
  *" go "*)
    if ! command -v go >/dev/null; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing golang-go (apt-get) for mode go"
        timeout 600 apt-get install -y --no-install-recommends golang-go >"$WORK/apt.log" 2>&1 ||
          { apt-get update >>"$WORK/apt.log" 2>&1 && timeout 600 apt-get install -y --no-install-recommends golang-go >>"$WORK/apt.log" 2>&1; } ||
          { cat "$WORK/apt.log" >&2; echo "echo.sh: installing golang-go failed (mode go)" >&2; exit 1; }
      else
        echo "echo.sh: mode go needs Go (apt-get install golang-go), or leave it out of --modes" >&2
        exit 1
      fi
    fi
    log "building bench/goecho ($(go version | awk '{ print $3 }'))"
    GOECHO=$WORK/goecho
    (cd bench/goecho && GOCACHE=$WORK/gocache GOPATH=$WORK/gopath GO111MODULE=off timeout 300 go build -o "$GOECHO" main.go) >"$WORK/go.log" 2>&1 ||
      { cat "$WORK/go.log" >&2; echo "echo.sh: building bench/goecho failed" >&2; exit 1; }
    ;;
esac

if [ "$WINE" = 1 ]; then
  log "publishing samples/EchoServer for win-x64 (Release) into artifacts/wine/EchoServer"
  timeout 600 dotnet publish samples/EchoServer -c Release -r win-x64 --self-contained -o artifacts/wine/EchoServer -nologo -v quiet \
    >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; echo "echo.sh: publishing samples/EchoServer failed" >&2; exit 1; }
  WINE_LOADER=${CO_WINE:-/usr/lib/wine/wine64}
  [ -x "$WINE_LOADER" ] || { echo "echo.sh: no Wine loader at $WINE_LOADER (./build.sh test installs wine64)" >&2; exit 1; }
  SERVER=(env WINEPREFIX="$ROOT/artifacts/wine/prefix" WINEDEBUG=-all DOTNET_EnableWriteXorExecute=0
    "$WINE_LOADER" "$ROOT/artifacts/wine/EchoServer/EchoServer.exe")
  # the first start may have to make the prefix (10-20 s), longer than a server may take to come up
  "${SERVER[@]}" --help >/dev/null 2>&1 || true
else
  log "building samples/EchoServer (Release)"
  timeout 300 dotnet build samples/EchoServer/EchoServer.csproj -c Release -nologo -v quiet >"$WORK/build.log" 2>&1 || {
    cat "$WORK/build.log" >&2
    echo "echo.sh: building samples/EchoServer failed" >&2
    exit 1
  }
  SERVER=("$ROOT/samples/EchoServer/bin/Release/net10.0/EchoServer")
  [ -x "${SERVER[0]}" ] || { echo "echo.sh: ${SERVER[0]} not found after the build" >&2; exit 1; }
fi

CLK_TCK=$(getconf CLK_TCK)
NEXT_PORT=$PORT_BASE
machine_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
wait_quiet() {
  [ "$WAIT_QUIET" -gt 0 ] 2>/dev/null || return 0
  local deadline=$((SECONDS + WAIT_QUIET)) a b
  while [ "$SECONDS" -lt "$deadline" ]; do
    a=$(machine_busy_ticks); sleep 1; b=$(machine_busy_ticks)
    [ $(( (b - a) * 100 / CLK_TCK )) -lt 15 ] && return 0
  done
  log "machine still busy after waiting ${WAIT_QUIET}s: measuring anyway"
}
# how busy the machine is before we start (anything else running skews every row)
q0=$(machine_busy_ticks); sleep 2; q1=$(machine_busy_ticks)
QUIET=$(awk -v a="$q0" -v b="$q1" -v hz="$CLK_TCK" 'BEGIN { printf "%.0f", 100 * (b - a) / hz / 2 }')
log "machine load before the run: $QUIET% of one core"

# ---------------------------------------------------------------- server control
# server_pid_under PID -> the server's own process below the timeout wrapper PID: its child, or under Wine (where env
# and the loader sit between them) the process running EchoServer.exe
server_pid_under() {
  if [ "$WINE" = 1 ]; then
    pgrep -f 'EchoServer\.exe' | while read -r pid; do
      [ "$pid" != "$1" ] && grep -q "EchoServer.exe" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
    done | tail -1
  else
    pgrep -P "$1" | head -1 || true
  fi
}

# start_server MODE  -> sets SERVER_TPID, SERVER_PID, PORT; returns 1 if it did not come up within 20 s
start_server() {
  local mode=$1
  PORT=$NEXT_PORT
  NEXT_PORT=$((NEXT_PORT + 1))
  local out=$WORK/server.$mode.$PORT
  # a mode may carry variants for diagnostics: async+nopin (--no-pin), async+sched1 (--sched 1), ...
  local parts args part
  IFS=+ read -ra parts <<<"$mode"
  args=(--mode "${parts[0]}" --port "$PORT")
  for part in "${parts[@]:1}"; do
    case "$part" in
      nopin) args+=(--no-pin) ;;
      sched[0-9]*) args+=(--sched "${part#sched}") ;;
      *) log "unknown mode variant '$part' in '$mode' (nopin, schedN)"; return 1 ;;
    esac
  done
  local command=("${SERVER[@]}")
  if [ "${parts[0]}" = go ]; then
    command=("$GOECHO")
    args=(--port "$PORT")
  fi
  # the timeout wrapper is a safety net only (the server is stopped with SIGTERM below)
  timeout --kill-after=5 600 "${SERVER_PIN[@]}" "${command[@]}" "${args[@]}" >"$out.out" 2>"$out.err" </dev/null &
  SERVER_TPID=$!
  SERVER_LOG=$out
  local i
  for i in $(seq 1 200); do
    if grep -q '^listening on' "$out.out" 2>/dev/null; then
      SERVER_PID=$(server_pid_under "$SERVER_TPID")
      [ -n "$SERVER_PID" ] && return 0
    fi
    if ! kill -0 "$SERVER_TPID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  log "server mode=$mode did not start; stdout/stderr:"
  cat "$out.out" "$out.err" >&2 || true
  stop_server
  return 1
}

stop_server() {
  [ -n "$SERVER_TPID" ] || return 0
  kill -TERM "$SERVER_TPID" 2>/dev/null || true
  local i
  for i in $(seq 1 50); do
    kill -0 "$SERVER_TPID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$SERVER_TPID" 2>/dev/null; then
    log "server pid $SERVER_PID did not exit within 5 s of SIGTERM: killing it"
    [ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null || true
    kill -KILL "$SERVER_TPID" 2>/dev/null || true
  fi
  wait "$SERVER_TPID" 2>/dev/null || true
  # anything the server said besides its normal summary (errors, unhandled exceptions) goes to our stderr
  if [ -n "$SERVER_LOG" ] && grep -qv ' stopping: accepted=[0-9]* closed=[0-9]* errors=0$' "$SERVER_LOG.err" 2>/dev/null; then
    log "server said:"; head -20 "$SERVER_LOG.err" | sed 's/^/    /' >&2
  fi
  SERVER_TPID=""
  SERVER_LOG=""
  SERVER_PID=""
}

server_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }
server_threads() { awk '/^Threads:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo "?"; }
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -1; }

# run_loadgen C DURATION WARMUP -> loadgen's result line in $WORK/loadgen.out (empty on failure), in the background;
# sets LOADGEN_PID
run_loadgen_bg() {
  local conns=$1 duration=$2 warmup=$3
  local limit
  limit=$(awk -v d="$duration" -v w="$warmup" 'BEGIN { printf "%d", d + w + 30 }')
  : >"$WORK/loadgen.out"
  timeout --kill-after=5 "$limit" "${LOADGEN_PIN[@]}" "$LOADGEN" -h 127.0.0.1 -p "$PORT" -c "$conns" -d "$duration" -w "$warmup" -s 64 \
    >"$WORK/loadgen.out" 2>"$WORK/loadgen.err" &
  LOADGEN_PID=$!
}
# wait_loadgen: waits for it (in this shell, not in a $(...) subshell) and sets LINE to its result line
wait_loadgen() { wait "$LOADGEN_PID" 2>/dev/null || true; LOADGEN_PID=""; LINE=$(head -1 "$WORK/loadgen.out"); }

# ---------------------------------------------------------------- throughput runs
# Rounds are interleaved (round 1: every C and mode, then round 2, ...); a row reports the round with the median
# round trips/s (its other columns come from that same round).
declare -A RPS P50 P99 LGCPU SRVUS SRVPCT THREADS ERRS ALLRPS OTHER
for r in $(seq 1 "$ROUNDS"); do
  for c in $CONNS; do
    for mode in $MODES; do
      key=$mode.$c.$r
      wait_quiet
      log "round $r/$ROUNDS mode=$mode C=$c: ${WARMUP}s warm-up + ${DURATION}s"
      if ! start_server "$mode"; then FAILED=1; continue; fi
      run_loadgen_bg "$c" "$DURATION" "$WARMUP"
      # server CPU over (about) loadgen's measured window: from the end of the warm-up to loadgen's exit
      sleep "$(awk -v w="$WARMUP" 'BEGIN { print w + 0.1 }')"
      t0=$(server_cpu_ticks); s0=$(date +%s.%N); m0=$(machine_busy_ticks)
      sleep "$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')"
      THREADS[$key]=$(server_threads)
      wait_loadgen; line=$LINE
      t1=$(server_cpu_ticks); s1=$(date +%s.%N); m1=$(machine_busy_ticks)
      stop_server
      if [ -z "$line" ]; then
        log "mode=$mode C=$c: loadgen produced no result:"; cat "$WORK/loadgen.err" >&2
        FAILED=1; continue
      fi
      echo "  $mode C=$c: $line" >&2
      [ -s "$WORK/loadgen.err" ] && sed 's/^/    /' "$WORK/loadgen.err" >&2
      RPS[$key]=$(kv "$line" rps); P50[$key]=$(kv "$line" p50_us); P99[$key]=$(kv "$line" p99_us)
      LGCPU[$key]=$(kv "$line" cpu_pct); ERRS[$key]=$(kv "$line" errors)
      rts=$(kv "$line" roundtrips); win=$(kv "$line" window_s)
      SRVUS[$key]=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v n="$rts" -v w="$win" -v e="$s1" -v s="$s0" \
        'BEGIN { if (n > 0) printf "%.2f", (b - a) / hz * 1e6 / (n * (e - s) / w); else print "?" }')
      SRVPCT[$key]=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v e="$s1" -v s="$s0" \
        'BEGIN { printf "%.0f", 100 * (b - a) / hz / (e - s) }')
      # everything else the machine did meanwhile (other processes, the lead's builds...): busy time of all CPUs minus
      # server and loadgen (softirq work of the loopback traffic is charged to them), in % of one core
      OTHER[$key]=$(awk -v ma="$m0" -v mb="$m1" -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v e="$s1" -v s="$s0" \
        -v lu="$(kv "$line" cpu_user_s)" -v ls="$(kv "$line" cpu_sys_s)" -v w="$win" \
        'BEGIN { d = e - s; o = ((mb - ma) - (b - a)) / hz - (lu + ls) * d / w; if (o < 0) o = 0; printf "%.0f", 100 * o / d }')
      if [ "${ERRS[$key]}" != 0 ] || [ "${RPS[$key]%.*}" = 0 ]; then FAILED=1; fi
    done
  done
done

# median round per (mode, C): copy its figures to key mode.C
for c in $CONNS; do
  for mode in $MODES; do
    list=""
    for r in $(seq 1 "$ROUNDS"); do
      [ -n "${RPS[$mode.$c.$r]:-}" ] && list="$list${RPS[$mode.$c.$r]} $r"$'\n'
    done
    [ -n "$list" ] || continue
    n=$(printf '%s' "$list" | grep -c .)
    med=$(printf '%s' "$list" | sort -n | sed -n "$(( (n + 1) / 2 ))p" | awk '{ print $2 }')
    src=$mode.$c.$med key=$mode.$c
    RPS[$key]=${RPS[$src]}; P50[$key]=${P50[$src]}; P99[$key]=${P99[$src]}; LGCPU[$key]=${LGCPU[$src]}
    ERRS[$key]=${ERRS[$src]}; SRVUS[$key]=${SRVUS[$src]}; SRVPCT[$key]=${SRVPCT[$src]}; THREADS[$key]=${THREADS[$src]}
    OTHER[$key]=$(for r in $(seq 1 "$ROUNDS"); do [ -n "${OTHER[$mode.$c.$r]:-}" ] && echo "${OTHER[$mode.$c.$r]}"; done |
      sort -n | tail -1)
    ALLRPS[$key]=$(printf '%s' "$list" | awk '{ printf "%s%s", (NR > 1 ? " / " : ""), $1 }')
    [ "$n" -eq "$ROUNDS" ] || FAILED=1
  done
done

# ---------------------------------------------------------------- report
REPORT=$WORK/report.md
{
  echo "## Echo server, 64-byte messages, closed loop (bench/echo.sh: ${DURATION}s after ${WARMUP}s warm-up, $ROUNDS interleaved rounds)"
  echo
  [ "$WINE" = 1 ] && echo "**Servers under Wine** ($("$WINE_LOADER" --version 2>/dev/null | head -1 || echo wine)): the Windows build of samples/EchoServer; compare rows of this run only." && echo
  echo "Machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), Linux $(uname -r); .NET $(dotnet --version 2>/dev/null || echo '?') SDK; loadgen single-threaded epoll on the same machine; CPUs: $([ ${#SERVER_PIN[@]} -gt 0 ] && echo "servers on ${SERVER_PIN[2]}, loadgen on ${LOADGEN_PIN[2]} (taskset)" || echo "shared by servers and loadgen"); machine load in the 2 s before the run: $QUIET% of one core."
  echo
  echo "| mode | C | round trips/s (median) | every round | p50 µs | p99 µs | errors | loadgen CPU (% of 1 core) | server CPU (% of 1 core) | server CPU µs / round trip | server OS threads | other load, worst round (% of 1 core) |"
  echo "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in $CONNS; do
    for mode in $MODES; do
      key=$mode.$c
      if [ -z "${RPS[$key]:-}" ]; then
        echo "| $mode | $c | FAILED | | | | | | | | | |"
      else
        echo "| $mode | $c | ${RPS[$key]} | ${ALLRPS[$key]} | ${P50[$key]} | ${P99[$key]} | ${ERRS[$key]} | ${LGCPU[$key]} | ${SRVPCT[$key]} | ${SRVUS[$key]} | ${THREADS[$key]} | ${OTHER[$key]} |"
      fi
    done
  done
  echo
  echo "| ratio (round trips/s) | C | value | target | |"
  echo "|---|---:|---:|---:|---|"
  ratio_row() { # a b c target ("-": reported, no target); left out when --modes did not ask for both modes
    local a=${RPS[$1.$3]:-} b=${RPS[$2.$3]:-}
    case " $MODES " in *" $1 "*) ;; *) return 0 ;; esac
    case " $MODES " in *" $2 "*) ;; *) return 0 ;; esac
    if [ -z "$a" ] || [ -z "$b" ]; then
      echo "| $1 / $2 | $3 | not measured | $([ "$4" = - ] && echo report || echo "≥ $4×") | |"
      return
    fi
    awk -v a="$a" -v b="$b" -v l="$1 / $2" -v c="$3" -v t="$4" 'BEGIN {
      r = (b > 0) ? a / b : 0
      if (t == "-") printf "| %s | %s | %.2f× | report | — |\n", l, c, r
      else printf "| %s | %s | %.2f× | ≥ %s× | %s |\n", l, c, r, t, (r >= t) ? "met" : "NOT met" }'
  }
  for c in $CONNS; do ratio_row async go "$c" 1.05; done
  for c in $CONNS; do ratio_row async dotnet "$c" -; done
  for c in $CONNS; do ratio_row sync threads "$c" 0.9; done
  for c in $CONNS; do ratio_row hooked sync "$c" 0.95; done
  for c in $CONNS; do ratio_row hooked threads "$c" -; done
  echo
  echo "loadgen CPU is its own user+sys time (getrusage) over the measured window, in percent of one core;"
  echo "near 100 would mean the single-threaded load generator is the bottleneck. Server CPU: utime+stime of the server"
  echo "process over the same window. Other load: busy time of the whole machine minus server and loadgen, the worst of"
  echo "the rounds; more than ~10 means something else was running and the figures of that row are not clean."
} >"$REPORT"
if awk -F'|' '/^\| [a-z]+ \| [0-9]+ \| [0-9]/ { gsub(/ /, "", $9); if ($9 + 0 > 90) bad = 1 } END { exit !bad }' "$REPORT"; then
  echo "**Warning:** loadgen used more than 90% of a core in some run: it may have limited that run." >>"$REPORT"
fi

# ---------------------------------------------------------------- syscalls per round trip
if [ "$SYSCALLS" = 1 ]; then
  if ! command -v strace >/dev/null 2>&1; then
    log "installing strace"
    (timeout 120 apt-get install -y strace >/dev/null 2>&1) || log "could not install strace"
  fi
  have_perf=0
  # total syscalls plus the ones that matter for an echo server, by name (a few tracepoints only: cheap)
  PERF_EVENTS=raw_syscalls:sys_enter
  for sc in recvfrom sendto recvmsg sendmsg read write epoll_wait epoll_pwait epoll_ctl futex sched_yield fcntl getsockopt poll; do
    [ -d "/sys/kernel/tracing/events/syscalls/sys_enter_$sc" ] || [ -d "/sys/kernel/debug/tracing/events/syscalls/sys_enter_$sc" ] \
      && PERF_EVENTS="$PERF_EVENTS,syscalls:sys_enter_$sc"
  done
  if command -v perf >/dev/null 2>&1 && timeout 10 perf stat -e "$PERF_EVENTS" -- true >/dev/null 2>&1; then
    have_perf=1
  elif command -v perf >/dev/null 2>&1 && timeout 10 perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
    PERF_EVENTS=raw_syscalls:sys_enter; have_perf=1
  fi
  have_strace=0
  command -v strace >/dev/null 2>&1 && have_strace=1

  # attach TOOL (perf|strace) to the server, run loadgen -w 0, detach; writes "syscalls roundtrips" to
  # $WORK/traced.result (empty on failure)
  traced_run() {
    local tool=$1 mode=$2 file=$WORK/trace.$1.$2
    : >"$WORK/traced.result"
    wait_quiet
    start_server "$mode" || return 0
    # warm the server up (JIT tiering, thread pool growth) before counting
    run_loadgen_bg "$SYSCALL_CONNS" 1 0
    wait_loadgen
    if [ "$tool" = perf ]; then
      perf stat -e "$PERF_EVENTS" -p "$SERVER_PID" -o "$file" >/dev/null 2>&1 &
    else
      strace -f -c -o "$file" -p "$SERVER_PID" >/dev/null 2>&1 &
    fi
    TRACER_PID=$!
    sleep 0.5   # let the tracer attach (strace -f attaches every thread)
    run_loadgen_bg "$SYSCALL_CONNS" "$SYSCALL_DURATION" 0
    local line
    wait_loadgen; line=$LINE
    kill -INT "$TRACER_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do kill -0 "$TRACER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TRACER_PID" 2>/dev/null || true
    wait "$TRACER_PID" 2>/dev/null || true
    TRACER_PID=""
    stop_server
    local rt total
    rt=$(kv "$line" roundtrips_total)
    if [ -z "$rt" ] || [ "$rt" -le 0 ]; then
      log "$tool run of mode=$mode: loadgen produced no round trips"; cat "$WORK/loadgen.err" >&2; return 0
    fi
    if [ "$tool" = perf ]; then
      total=$(awk '/raw_syscalls:sys_enter/ { gsub(/[,.]/, "", $1); print $1 }' "$file")
    else
      # strace -c table rows: "% time  seconds  usecs/call  calls  [errors]  syscall"; the last row is "total"
      total=$(awk '$NF == "total" { print $4 }' "$file")
    fi
    [ -n "$total" ] || { log "$tool run of mode=$mode: no count in $file"; cat "$file" >&2; return 0; }
    echo "$total $rt" >"$WORK/traced.result"
  }

  {
    echo
    echo "## Syscalls per round trip (C=$SYSCALL_CONNS, loadgen -d $SYSCALL_DURATION -w 0, tracer attached to the running server)"
    echo
    echo "| mode | perf: syscalls / round trip | perf: by name, per round trip | perf: round trips/s while counted | strace -f -c: syscalls / round trip | strace: top syscalls per round trip |"
    echo "|---|---:|---|---:|---:|---|"
  } >>"$REPORT"
  for mode in $SYSCALL_MODES; do
    perf_cell="n/a"; perf_rps="n/a"; perf_top=""; strace_cell="n/a"; top_cell=""
    if [ "$have_perf" = 1 ]; then
      log "syscalls: perf stat, mode=$mode"
      traced_run perf "$mode"; total=""; rt=""
      read -r total rt <"$WORK/traced.result" || true
      if [ -n "${rt:-}" ]; then
        perf_cell=$(awk -v s="$total" -v n="$rt" 'BEGIN { printf "%.2f", s / n }')
        perf_rps=$(awk -v n="$rt" -v d="$SYSCALL_DURATION" 'BEGIN { printf "%.0f", n / d }')
        perf_top=$(awk -v n="$rt" '$2 ~ /^syscalls:sys_enter_/ { c = $1; gsub(/[,.]/, "", c); if (c + 0 > 0) {
            sub(/^syscalls:sys_enter_/, "", $2); printf "%s %.2f\n", $2, c / n } }' "$WORK/trace.perf.$mode" |
          sort -k2 -gr | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
      else FAILED=1; fi
    fi
    if [ "$have_strace" = 1 ]; then
      log "syscalls: strace -f -c, mode=$mode"
      traced_run strace "$mode"; total=""; rt=""
      read -r total rt <"$WORK/traced.result" || true
      if [ -n "${rt:-}" ]; then
        strace_cell=$(awk -v s="$total" -v n="$rt" 'BEGIN { printf "%.2f", s / n }')
        # rows of the strace -c table: "% time seconds usecs/call calls [errors] syscall"
        top_cell=$(awk -v n="$rt" '/^[-]+/ { sep++; next } sep == 1 && NF >= 5 { printf "%s %.2f\n", $NF, $4 / n }' \
          "$WORK/trace.strace.$mode" | sort -k2 -gr | head -6 | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
      else FAILED=1; fi
    fi
    echo "| $mode | $perf_cell | $perf_top | $perf_rps | $strace_cell | $top_cell |" >>"$REPORT"
  done
  echo >>"$REPORT"
  {
    echo "perf counts every syscall entry of the server's threads (threads started later included) at close to full"
    echo "speed: these are the figures to quote. strace -f -c stops the server at every syscall and slows it several-fold,"
    echo "so a recv almost always finds data waiting: its counts miss most EAGAIN recvs and readiness waits."
  } >>"$REPORT"
fi

echo
cat "$REPORT"
if [ -n "$OUT_MD" ]; then cp "$REPORT" "$OUT_MD"; log "report written to $OUT_MD"; fi
exit "$FAILED"
