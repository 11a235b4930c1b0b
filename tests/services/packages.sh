#!/usr/bin/env bash
# The Debian packages the tests need, installed when missing (apt-get, as root, as on the Debian 12 CI).
#   tests/services/packages.sh [GROUP...]   checks every group (default: all of them) and installs what is missing
#   tests/services/packages.sh --postgres-bin   prints the directory of the PostgreSQL programs (exit 1: none)
# Groups: curl (libcurl.so.4, for curl_easy_perform in coroutines), postgresql (a PostgreSQL server's binaries and
# libpq.so.5, for tests/services/postgres.sh and the libpq/Npgsql tests), iproute2 (ip, to bring up the loopback of the
# private network namespace the slow-resolver test runs in), wine (the 64-bit Wine loader, /usr/lib/wine/wine64, that
# runs the Windows build of the runtime scenarios: tests/Co.Runtime.Tests/UnderWine), redis (redis-server, which the
# StackExchange.Redis scenario starts on a port of its own).
# Everything is checked before anything is installed: run as another user with something missing, it stops at once,
# before any build or test, and prints the exact command to run. Progress and errors go to stderr; a package that is
# missing and cannot be installed is an error (exit status 1), never a silent skip: the tests that need it would fail.
set -euo pipefail

say() { echo "packages.sh: $*" >&2; }
die() { say "$*"; exit 1; }

ldconfig_lists() {
  { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true; } | grep -qF "$1 "
}

has_curl() { ldconfig_lists libcurl.so.4; }

has_iproute2() { command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; }

# The newest /usr/lib/postgresql/*/bin holding the three programs postgres.sh runs.
postgres_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/pg_isready" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

has_postgresql() {
  postgres_bin >/dev/null || return 1
  ldconfig_lists libpq.so.5 || ls /usr/lib/*/libpq.so.5 /usr/lib/libpq.so.5 >/dev/null 2>&1
}

has_redis() { command -v redis-server >/dev/null 2>&1; }

# Debian's wine64 puts its loader outside PATH; CO_WINE names another one.
has_wine() { [ -x "${CO_WINE:-/usr/lib/wine/wine64}" ]; }

# "group check-function packages..." lines.
GROUPS_TABLE=(
  "curl has_curl libcurl4"
  "postgresql has_postgresql postgresql libpq5"
  "iproute2 has_iproute2 iproute2"
  "wine has_wine wine64"
  "redis has_redis redis-server"
)

if [ "${1:-}" = --postgres-bin ]; then
  postgres_bin
  exit
fi

wanted=("$@")
for group in "${wanted[@]}"; do
  [[ " ${GROUPS_TABLE[*]} " == *" $group has_"* ]] || die "unknown group '$group'"
done

missing_groups=()
missing_packages=()
for entry in "${GROUPS_TABLE[@]}"; do
  read -r group check packages <<<"$entry"
  if [ "${#wanted[@]}" -gt 0 ] && [[ " ${wanted[*]} " != *" $group "* ]]; then
    continue
  fi

  if ! "$check"; then
    missing_groups+=("$group")
    read -ra list <<<"$packages"
    missing_packages+=("${list[@]}")
  fi
done

if [ "${#missing_packages[@]}" -eq 0 ]; then
  exit 0
fi

command="apt-get update && apt-get install -y --no-install-recommends ${missing_packages[*]}"
[ "$(id -u)" -eq 0 ] || die "missing ${missing_groups[*]} (packages: ${missing_packages[*]}), and installing needs root. Run as root: sudo sh -c '$command' — then run this again."
command -v apt-get >/dev/null 2>&1 || die "missing ${missing_packages[*]}, and apt-get is not available to install them"
say "installing ${missing_packages[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
if [[ " ${missing_groups[*]} " == *" postgresql "* ]] && ! postgres_bin >/dev/null; then
  # As the official postgres image does: the package creates (and starts) no "main" cluster; the tests make their own.
  apt-get install -y -qq --no-install-recommends postgresql-common >&2
  conf=/etc/postgresql-common/createcluster.conf
  if grep -Eq '^[#[:space:]]*create_main_cluster' "$conf"; then
    sed -ri 's/^[#[:space:]]*(create_main_cluster)[[:space:]]*=.*$/\1 = false/' "$conf"
  else
    echo 'create_main_cluster = false' >>"$conf"
  fi
fi

apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >&2
for entry in "${GROUPS_TABLE[@]}"; do
  read -r group check packages <<<"$entry"
  if [[ " ${missing_groups[*]} " == *" $group "* ]] && ! "$check"; then
    die "apt-get installed $packages, but the check for $group still fails"
  fi
done
