#!/usr/bin/env bash
# Installs the Debian packages the Kubernetes test bed (src/local/kube-bed.ts) needs, when missing:
#   containerd                   the container runtime of each node (Debian's 1.6; see below)
#   runc                         the OCI runtime containerd's shim calls
#   containernetworking-plugins  the CNI plugins (bridge, host-local, loopback in /usr/lib/cni)
#   umoci                        builds OCI images without a container engine
#   iptables                     the bridge CNI plugin and the kubelet call it
#   busybox-static               the shell and tools of the bed's own small test image
#   mmdebstrap                   makes the Debian root filesystem of the kafkaplane image (JRE from Debian)
#   iproute2                     `ip`: the bed's DNS bridge, and the loopback of the image build's own
#                                network namespace (the class data archive's throwaway broker)
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
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
exec "$here/lib/install-debian-packages.sh" install-bed-packages "$@" -- \
  containerd runc containernetworking-plugins umoci iptables busybox-static mmdebstrap iproute2
