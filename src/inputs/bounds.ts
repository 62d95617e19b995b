// The range of every numeric input. Past the upper bound a value is a slip of the keyboard, or a
// way to make the runner or the deploy host do something absurd (a replicas of 100000000 asks the
// host for that many containers), never a setting anyone needs: each bound says why.

export interface Bound {
  min: number
  max: number
  /** Why nobody needs more, for the message that refuses more. */
  why: string
}

/** 360 minutes: a job on a GitHub-hosted runner is stopped then, and it is every job's default timeout-minutes. */
const SIX_HOURS = 6 * 60 * 60
const WAIT_WHY = '6 hours, as long as a job on a GitHub-hosted runner may run'

/** Seconds the action waits for something; a wait longer than the job itself can only be a mistake. */
const wait = (min: number): Bound => ({ min, max: SIX_HOURS, why: WAIT_WHY })

export const INPUT_BOUNDS = {
  // One host runs them all, old and new side by side during a rollout; Compose's default network
  // is a Linux bridge, which takes at most 1024 ports (BR_MAX_PORTS), one per container.
  replicas: {
    min: 1,
    max: 1000,
    why: 'all on one host, whose default Compose network, a Linux bridge, takes at most 1024 containers'
  },
  'registry-timeout': wait(1),
  'health-timeout': wait(1),
  'drain-seconds': wait(0),
  'startup-grace': wait(0),
  'lock-timeout': wait(0),
  'batch-wait': wait(0),
  // Releases kept on a host; 0 keeps all. Past this, keeping "all" is what is meant.
  'keep-releases': { min: 0, max: 1000, why: 'more releases than a host keeps images of; 0 keeps all' },
  // A batch is some of the deploy-host lines; a count past any fleet one workflow reaches is a slip.
  'rollout-batch': { min: 1, max: 1000, why: 'more hosts than one workflow deploys to' },
  // README, The scan on a large report: 10,000 findings are 35.8 MiB of Trivy JSON, so a million
  // would be some 3.5 GiB, more than the action can read; a budget that large is no budget.
  'max-findings': {
    min: 0,
    max: 1_000_000,
    why: 'more findings than any report the action can read; severity-threshold: none turns the gate off'
  }
} as const satisfies Record<string, Bound>

export type BoundedInput = keyof typeof INPUT_BOUNDS

/** A whole number within the input's bound; the message says which side it missed. */
export function parseWholeNumber(raw: string, input: BoundedInput): number {
  const { min, max, why }: Bound = INPUT_BOUNDS[input]
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw new Error(`"${raw}" is not a whole number of at least ${min}`)
  if (Number(raw) > max) throw new Error(`${raw} is more than ${max}, the most it takes (${why})`)
  return Number(raw)
}
