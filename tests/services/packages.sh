#!/usr/bin/env bash
# Native libraries the tests load through P/Invoke, installed when missing (apt-get, as root, as on the Debian 12 CI).
#   tests/services/packages.sh     checks each library below with ldconfig; installs the package of any that is missing
# Progress and errors go to stderr; a library that is missing and cannot be installed is an error (exit status 1),
# never a silent skip: the tests that need it would fail anyway.
set -euo pipefail

# "soname package" pairs.
LIBRARIES=(
  "libcurl.so.4 libcurl4" # tests/Co.Hook.TestHost/CurlScenario.cs (curl_easy_perform in coroutines)
)

say() { echo "packages.sh: $*" >&2; }
die() { say "$*"; exit 1; }

have() {
  { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true; } | grep -qF "$1 "
}

missing=()
for entry in "${LIBRARIES[@]}"; do
  read -r soname package <<<"$entry"
  have "$soname" || missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]}, and apt-get is not available to install them"
say "installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
for entry in "${LIBRARIES[@]}"; do
  read -r soname package <<<"$entry"
  have "$soname" || die "apt-get installed $package, but ldconfig does not list $soname"
done
