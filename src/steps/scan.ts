// Scan: Trivy on the built image, gated on severity independently of what is reported.
// Not implemented in this version: the step reports `skipped` and says so.
import * as core from '@actions/core'
import { Output } from '../constants.js'
import type { Step } from '../step.js'

export interface ScanResult {
  result: 'passed' | 'failed' | 'skipped'
  findings: Record<string, number>
  reportFile?: string
  sarifFile?: string
}

export async function scan(): Promise<ScanResult> {
  core.warning(
    'The scan step is not implemented in this version yet: the image was not scanned (scan-result: skipped).'
  )
  return { result: 'skipped', findings: {} }
}

export const scanStep: Step<'scan', ScanResult> = {
  name: 'scan',
  title: 'Scan',
  run: () => scan(),
  report: (result) => ({
    outputs: {
      [Output.ScanResult]: result?.result ?? 'skipped',
      [Output.Findings]: JSON.stringify(result?.findings ?? {}),
      [Output.ReportFile]: result?.reportFile ?? '',
      [Output.SarifFile]: result?.sarifFile ?? ''
    },
    rows: [['Scan', result ? result.result : 'not run']]
  })
}
