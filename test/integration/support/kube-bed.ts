import { SKIP_KUBE_BED_ENV } from '../../../src/local/kube-bed.ts'

/**
 * The `skip` of a test-bed suite: false, unless KAFKAPLANE_SKIP_KUBE_BED=1 asks to skip it, which is
 * said loudly. A machine that cannot run the bed is not skipped: its start fails with the reason.
 */
export function bedSkip(): string | false {
  if (process.env[SKIP_KUBE_BED_ENV] !== '1') return false
  const reason = `${SKIP_KUBE_BED_ENV}=1: the Kubernetes test bed (real kubelets and containerd) is NOT tested`
  console.warn(`\n!!! SKIPPED: ${reason} !!!\n`)
  return reason
}
