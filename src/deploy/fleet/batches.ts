// Which hosts change together: the deploy-host lines in their order, cut into batches of the
// rollout-batch size. The first batch is the canary: until it has passed, no other host changed.
import type { RolloutBatch } from '../inputs.js'

/** The hosts' indexes (from 0) batch by batch; every batch has at least one host. */
export function rolloutBatches(hosts: number, batch: RolloutBatch): number[][] {
  const size = 'hosts' in batch ? batch.hosts : Math.ceil((hosts * batch.percent) / 100)
  const step = Math.max(1, size)
  const batches: number[][] = []
  for (let first = 0; first < hosts; first += step) {
    batches.push(Array.from({ length: Math.min(step, hosts - first) }, (_, offset) => first + offset))
  }
  return batches
}
