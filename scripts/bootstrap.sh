# shellcheck shell=bash
# Sourced by bin/kafkaplane, scripts/test and the benchmarks. Makes sure this machine has what the
# project needs, installing it on first use and caching it outside the repository:
#   1. Node.js >= 22.22 (the system's when new enough, else a pinned Node 22 from the npm registry),
#   2. the npm packages of package-lock.json (npm ci, redone only when the lockfile changes).
# Kafka's jars are fetched by the local runtime itself (src/local/kafka-distribution.ts) on first use.
#
# Exports: KAFKAPLANE_ROOT, KAFKAPLANE_CACHE, KAFKAPLANE_NODE (absolute path of the node to use),
# and puts that node first on PATH.

KAFKAPLANE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKAPLANE_CACHE="${KAFKAPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kafkaplane}"
export KAFKAPLANE_ROOT KAFKAPLANE_CACHE

# The Node we install when the system's is too old. @platformatic/kafka declares node >= 22.22.
KAFKAPLANE_NODE_PIN="22.23.3"
KAFKAPLANE_NODE_MIN="22.22.0"

_kp_say() { printf 'kafkaplane: %s\n' "$*" >&2; }

# version_ge A B: true when dotted version A >= B
_kp_version_ge() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

_kp_find_node() {
  local sys
  if sys="$(command -v node 2>/dev/null)"; then
    local v
    v="$("$sys" --version 2>/dev/null | sed 's/^v//')"
    if [ -n "$v" ] && _kp_version_ge "$v" "$KAFKAPLANE_NODE_MIN"; then
      KAFKAPLANE_NODE="$sys"
      return 0
    fi
  fi
  local dir="$KAFKAPLANE_CACHE/node-$KAFKAPLANE_NODE_PIN"
  local bin="$dir/node_modules/node/bin/node"
  if [ ! -x "$bin" ] || ! "$bin" --version >/dev/null 2>&1; then
    if ! command -v npm >/dev/null 2>&1; then
      _kp_say "Node.js >= $KAFKAPLANE_NODE_MIN is required and npm is missing to install it."
      _kp_say "fix: install Node.js 22 (https://nodejs.org) or npm, then run this command again."
      return 1
    fi
    _kp_say "system Node.js is ${v:-missing}; installing Node.js $KAFKAPLANE_NODE_PIN into $dir (once)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    if ! npm install --silent --no-audit --no-fund --prefix "$dir.tmp" "node@$KAFKAPLANE_NODE_PIN" >&2; then
      _kp_say "could not install node@$KAFKAPLANE_NODE_PIN from the npm registry."
      _kp_say "fix: check the npm registry is reachable (npm config get registry), or install Node.js 22 yourself."
      rm -rf "$dir.tmp"
      return 1
    fi
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  KAFKAPLANE_NODE="$bin"
}

_kp_npm_ci() {
  local lock="$KAFKAPLANE_ROOT/package-lock.json"
  local stamp="$KAFKAPLANE_ROOT/node_modules/.kafkaplane-lock"
  local want
  want="$(sha256sum "$lock" | cut -d' ' -f1)-$("$KAFKAPLANE_NODE" --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  _kp_say "installing npm packages (npm ci)"
  if ! (cd "$KAFKAPLANE_ROOT" && npm ci --silent --no-audit --no-fund >&2); then
    _kp_say "npm ci failed. fix: check the npm registry is reachable, then run this command again."
    return 1
  fi
  printf '%s' "$want" >"$stamp"
}

kafkaplane_bootstrap() {
  _kp_find_node || return 1
  export KAFKAPLANE_NODE
  PATH="$(dirname "$KAFKAPLANE_NODE"):$PATH"
  export PATH
  _kp_npm_ci || return 1
}
