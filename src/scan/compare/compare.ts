// Compare with production: which production image (compare-to), its findings (production-scan.ts)
// judged by the same rules as the candidate's, and the split into new, fixed and unchanged. A
// comparison that cannot be made is a warning, never a failure: the gate then counts every
// finding (gate-scope.ts), so a missing production image never makes it weaker.
import * as core from '@actions/core'
import type { Finding } from '../trivy/findings.js'
import type { Severity } from '../severity.js'
import type { ScanInputs } from '../inputs.js'
import { comparisonCounts, comparisonHeadline, compareFindings, type FindingsComparison } from './diff.js'
import { scanProduction, type ProductionScanSetup } from './production-scan.js'
import { deployedImage, type DeployedService } from './deployed.js'

export interface ProductionComparison {
  /** `name@sha256:…` of the production image. */
  reference: string
  /** Its report came from the cache. */
  cached: boolean
  comparison: FindingsComparison
  /** `3 new (1 HIGH), 5 fixed, 2 unchanged` */
  headline: string
  counts: Record<keyof FindingsComparison, Record<Severity, number>>
}

/**
 * The comparison of `candidate` (the findings that count, after ignores) with production's, whose
 * findings `counted` filters by the same rules; undefined when there is nothing to compare with.
 */
export async function compareWithProduction(
  inputs: Pick<ScanInputs, 'compareTo' | 'deployHostSet'>,
  candidate: readonly Finding[],
  counted: (findings: readonly Finding[]) => Finding[],
  setup: () => ProductionScanSetup,
  /** The first deploy host, when the deploy step reached it for this run. */
  deployed: DeployedService | undefined
): Promise<ProductionComparison | undefined> {
  let target = inputs.compareTo
  if (target.kind === 'none') return undefined
  if (target.kind === 'deployed') {
    // No deploy host, nothing deployed to compare with: the default stays quiet.
    if (!inputs.deployHostSet) return undefined
    if (!deployed) {
      core.info(
        'compare-to: deployed: this run does not deploy, so the deploy host is not reached and the findings are not compared (name the production image in compare-to to compare in such runs)'
      )
      return undefined
    }
    let found: Awaited<ReturnType<typeof deployedImage>>
    try {
      found = await deployedImage(deployed)
    } catch (error) {
      found = { found: false, reason: (error as Error).message }
    }
    if (!found.found) {
      // A first deploy has nothing to compare with, as a run without a deploy host.
      const say = found.firstDeploy ? core.info : core.warning
      say(`compare-to: deployed: the findings are not compared: ${found.reason}`)
      return undefined
    }
    target = found.target
  }
  let production: Awaited<ReturnType<typeof scanProduction>>
  try {
    production = await scanProduction(target, setup())
  } catch (error) {
    core.warning(
      `compare-to: the production image ${target.text} could not be scanned, so the findings are not compared: ${(error as Error).message}`
    )
    return undefined
  }
  core.info(
    `Production image ${production.reference}: ${production.findings.length} findings${production.cached ? ' (its report from the cache)' : ''}`
  )
  const comparison = compareFindings(candidate, counted(production.findings))
  return {
    reference: production.reference,
    cached: production.cached,
    comparison,
    headline: comparisonHeadline(comparison),
    counts: comparisonCounts(comparison)
  }
}
