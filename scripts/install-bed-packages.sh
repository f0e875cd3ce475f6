#!/usr/bin/env bash
# Installs the Debian packages the Kubernetes test bed (src/local/kube-bed.ts) needs, when missing:
#   containerd                   the container runtime of each node (Debian's 1.6; see below)
#   runc                         the OCI runtime containerd's shim calls
#   containernetworking-plugins  the CNI plugins (bridge, host-local, loopback in /usr/lib/cni)
#   umoci                        builds OCI images without a container engine
#   iptables                     the bridge CNI plugin and the kubelet call it
#   busybox-static               the shell and tools of the bed's own small test image
#   mmdebstrap                   makes the Debian root filesystem of the kafkaplane image (JRE from Debian)
#
#   scripts/install-bed-packages.sh       -> installs what is missing (apt-get; needs root), prints nothing else
#   scripts/install-bed-packages.sh --check -> exits 1 naming what is missing, installs nothing
#
# Why Debian's containerd 1.6 and not containerd 2 built from the Go module proxy: it works with the
# kubelet 1.36 the bed runs (seen on this kind of machine: the kubelet logs a fallback and counts
# kubelet_cri_losing_support{version="1.37.0"}), it costs no build (containerd 2 is ~2 minutes of CPU
# and 620 MB on 2 cores, on top of the Kubernetes build), and Debian keeps it patched. Kubernetes 1.37
# will need containerd 2: then build it with scripts/lib/fetch-go-tool.sh like the other Go tools.
# The install never starts containerd as a service: the bed runs its own containerd per node.
set -euo pipefail

PACKAGES=(containerd runc containernetworking-plugins umoci iptables busybox-static mmdebstrap)
say() { printf 'install-bed-packages: %s\n' "$*" >&2; }

missing=()
for p in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "${1:-}" = "--check" ]; then
  say "missing Debian packages: ${missing[*]} (fix: scripts/install-bed-packages.sh as root)"
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "error: the Kubernetes test bed needs the Debian packages ${missing[*]}, and this machine has no apt-get.
  fix: install them (or your distribution's equivalents) by hand, then run this again."
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  say "error: the Kubernetes test bed needs the Debian packages ${missing[*]}; installing them needs root.
  fix: sudo apt-get install -y ${missing[*]}"
  exit 1
fi
started=$SECONDS
say "installing ${missing[*]} (apt-get)"
# Packages' maintainer scripts must not start services here (the bed starts its own containerd):
# policy-rc.d answers 101 (action forbidden) to invoke-rc.d for the length of the install only.
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
