// CoreDNS with only the plugins the Kubernetes test bed uses (src/local/kube-bed.ts writes its
// Corefile): one `kubernetes` block per API server, each with its own cluster domain, and `forward`
// for every other name. Built by scripts/fetch-kube.sh. The plugins register themselves in init();
// CoreDNS orders them by its own directive list, so the import order here does not matter.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	coremain.Run()
}
