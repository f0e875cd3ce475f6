#!/usr/bin/env bash
# Installs Debian packages when missing, for the project's install scripts (scripts/install-bed-packages.sh,
# scripts/install-browser.sh):
#
#   scripts/lib/install-debian-packages.sh NAME [--check] -- PACKAGE...
#     -> installs what is missing (apt-get; needs root), prints nothing else on stdout
#     -> with --check: exits 1 naming what is missing, installs nothing
#
# NAME prefixes its messages and says what the packages are for. The install never starts a service:
# policy-rc.d answers 101 (action forbidden) to invoke-rc.d for the length of the install only.
set -euo pipefail

name="$1"
shift
check=""
if [ "${1:-}" = "--check" ]; then
  check=1
  shift
fi
[ "${1:-}" = "--" ] && shift
say() { printf '%s: %s\n' "$name" "$*" >&2; }

missing=()
for p in "$@"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ -n "$check" ]; then
  say "missing Debian packages: ${missing[*]} (fix: scripts/$name.sh as root)"
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "error: the Debian packages ${missing[*]} are needed, and this machine has no apt-get.
  fix: install them (or your distribution's equivalents) by hand, then run this again."
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  say "error: the Debian packages ${missing[*]} are needed; installing them needs root.
  fix: sudo apt-get install -y ${missing[*]}"
  exit 1
fi
started=$SECONDS
say "installing ${missing[*]} (apt-get)"
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
trap '[ -z "$own_policy" ] || rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || say "apt-get update failed; trying the install with the lists there are"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
  || { say "error: apt-get install ${missing[*]} failed (see above). fix: check that Debian's archive is reachable"; exit 1; }
say "installed ${missing[*]} in $((SECONDS - started)) s"
