// Which findings the gate counts: all of them, or (gate-on: new) only those the release running in
// production does not already have. Without a comparison the gate never silently gets weaker.
export type GateOn = 'all' | 'new'

export interface GateScope {
  scope: GateOn
  /** Said once, as a warning, when gate-on: new had to fall back to all. */
  warning?: string
}

export function resolveGateScope(gateOn: GateOn, comparisonAvailable: boolean): GateScope {
  if (gateOn === 'all') return { scope: 'all' }
  if (comparisonAvailable) return { scope: 'new' }
  return {
    scope: 'all',
    warning: 'gate-on: new, but there is no production image to compare with: the gate counts all findings'
  }
}
