// Scan: Trivy once on the built image, then the gate, independent of what is reported. Every
// finding is placed on the Dockerfile line that introduced its layer, for the annotations and
// the summary. A failing gate stops the run before push and deploy; a scan that cannot run (no
// DB, Trivy failing, a report that does not parse) fails closed.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { mapLimit } from '../lib/map-limit.js'
import * as core from '@actions/core'
import { annotationsFor, countText, placeFinding, worstFirst } from './output/annotations.js'
import { programEnv, registryTimeout } from '../docker/cli.js'
import { mapLayers, parseDockerfile, type LayerMap } from './dockerfile-map.js'
import {
  decideGate,
  gateFailedMessage,
  reportedFindings,
  type GateOptions,
  type GateVerdict
} from './gate.js'
import { compareWithProduction } from './compare/compare.js'
import { productionCacheRoot } from './compare/production-scan.js'
import type { DeployedService } from './compare/deployed.js'
import type { DeployFleet } from '../deploy/target.js'
import { resolveGateScope } from './compare/gate-scope.js'
import { comparisonLead, comparisonRow, comparisonSection, type ComparisonReport } from './compare/report.js'
import { readScanInputs, SCAN_SECRET_INPUTS, type ScanInputs } from './inputs.js'
import { code } from '../lib/markdown.js'
import { runProgram } from '../program/program.js'
import { writeFileNoFollow, writeRoots } from '../lib/safe-write.js'
import type { RunContext } from '../run/context.js'
import { sarifLog } from './output/sarif.js'
import { scanSection, type FindingRow } from './output/summary.js'
import { countsText, type Severity } from './severity.js'
import { StepError, type Step, type StepCall } from '../run/step.js'
import { parseIgnoreFile, type IgnoreRule } from './ignore/ignore-file.js'
import { findTrivy } from './trivy/install.js'
import { findingsOf } from './trivy/findings.js'
import { imageLayersOf, parseTrivyReport, type TrivyReport } from './trivy/report.js'
import {
  parseTrivyVersion,
  privateTrivyFiles,
  trivyArgs,
  trivyEnv,
  type TrivyRun
} from './trivy/scan-image.js'
import { mergeLayerMaps, mergePlatformFindings } from './platforms.js'
import { platformImages, singlePlatformLayout } from '../oci/layout.js'
import { hasCacheService, restoreDb, saveDb, trivyCacheDir, type DbCache } from './trivy/db-cache.js'
import { downloadDbIfDue } from './trivy/db-download.js'
import type { BuildResult } from '../build/step.js'
import { runUrlFrom } from '../github/context.js'
import type { CommentInput } from './output/pr-comment/body.js'

export interface ScanResult {
  result: 'passed' | 'failed'
  /** What counts after ignores, by severity (the `findings` output). */
  findings: Record<Severity, number>
  /** Trivy's JSON report (of the first platform, when there are several). */
  reportFile: string
  /** Each platform's report, for an image of several platforms. */
  reportFiles: Record<string, string>
  /** The platforms scanned; none for an image in the engine. */
  platforms: string[]
  sarifFile: string
  /** Why the gate failed, one sentence a rule; empty when it passed. */
  reasons: string[]
  /** The reported findings (the `severities` input), worst first, with their Dockerfile lines. */
  rows: FindingRow[]
  ignored: number
  /** The Dockerfile the findings are placed on. */
  dockerfile: string
  /** For the scan attestation: the Trivy that ran, the threshold it was judged by, when. */
  trivyVersion: string
  severityThreshold: string
  startedOn: Date
  finishedOn: Date
  /** The comparison with the production image (compare-to), when there was one. */
  comparison?: ComparisonReport
  /** The sticky pull request comment as written, when it was: the deploy step adds its deployment. */
  pullRequestComment?: CommentInput
}

export async function scan(
  { context: run, inputs }: StepCall<ScanInputs>,
  built: BuildResult,
  deployed?: DeployedService
): Promise<ScanResult> {
  const trivy = await findTrivy(inputs.trivyVersion, inputs.trivyReleases)
  core.info(`Trivy: ${trivy.path} (${trivy.source})`)
  // Not removed by the post step: report-file and sarif-file are outputs that later steps read.
  const startedOn = new Date()
  const workDir = mkdtempSync(path.join(run.tempRoot, 'container-ship-scan-'))
  // Trivy runs in a folder of its own, away from the workspace's trivy.yaml and the like.
  const files = privateTrivyFiles(mkdtempSync(path.join(workDir, 'trivy-')))
  const { env, dropped } = trivyEnv(programEnv())
  if (dropped.length > 0) {
    core.notice(
      `Trivy does not get ${dropped.join(', ')} from the environment: the action's scan reads only its own settings (inputs), so nothing set for another step filters it.`
    )
  }
  const cacheDir = trivyCacheDir(env)
  const dbCache = await restoreTodaysDb(inputs, trivy.path, env)
  // Where Trivy would download the DB, the action does, source by source (trivy/db-download.ts).
  const fetched =
    inputs.skipDbUpdate || dbCache?.restored === true
      ? undefined
      : await downloadDbIfDue({
          trivy: trivy.path,
          env,
          cacheDir,
          workDir: files.workDir,
          config: files.config,
          dbRepositories: inputs.dbRepositories,
          maxAge: inputs.dbMaxAge,
          timeout: registryTimeout(run.inputs.publish.registryTimeout)
        })
  const targets = scanTargets(built, workDir)
  const dbSettled = inputs.skipDbUpdate || dbCache?.restored === true || fetched !== undefined
  const scanOne = async (target: ScanTarget, index: number): Promise<ScannedImage> => {
    const reportFile = path.join(
      workDir,
      targets.length > 1 ? `trivy-${target.platform.replaceAll('/', '-')}.json` : 'trivy.json'
    )
    // The DB the first run fetched serves the platforms after it.
    const args = trivyArgs(
      inputs,
      { image: target.image, reportFile, cacheDir, files },
      { vulnerabilityDb: dbSettled || index > 0 }
    )
    if (target.platform) core.info(`Scanning ${target.platform}`)
    // A failure to scan (no DB, a crash) throws with the end of what Trivy printed.
    await runProgram(trivy.path, args, { env, cwd: files.workDir })
    return { ...target, reportFile, report: readReport(reportFile) }
  }
  // Platforms side by side once the DB is in place (Trivy opens it read-only); the first alone
  // when it may still fetch the DB.
  const [first, ...rest] = targets
  const scanned = dbSettled
    ? await mapLimit(targets, PARALLEL_SCANS, scanOne)
    : [
        await scanOne(first as ScanTarget, 0),
        ...(await mapLimit(rest, PARALLEL_SCANS, (t, i) => scanOne(t, i + 1)))
      ]
  // A DB the scan fell back on is not today's: it is not saved under today's key.
  if (fetched?.from !== 'cache') await saveDb(dbCache)

  const image = built.layout
    ? `${run.inputs.image.name}@${built.layout.digest}`
    : (built.references[0] ?? built.imageId)
  const findings = mergePlatformFindings(
    scanned.map(({ platform, report, image: scannedImage }) => ({
      platform,
      findings: findingsOf(report).map((finding) => ({
        ...finding,
        target: targetOf(finding.target, scannedImage, image)
      }))
    }))
  )
  const gateOptions: GateOptions = {
    severityThreshold: inputs.severityThreshold,
    maxFindings: inputs.maxFindings,
    ignoreUnfixed: inputs.ignoreUnfixed,
    ignoreRules: readIgnoreRules(inputs)
  }
  const now = new Date()
  const verdict = decideGate(findings, gateOptions, now)
  for (const expired of verdict.expiredIgnores) core.warning(expired.message)
  const production = await compareWithProduction(
    inputs,
    verdict.remaining,
    (found) => decideGate(found, gateOptions, now).remaining,
    () => ({
      trivy: trivy.path,
      env,
      dockerConfig: run.docker.configDir,
      cacheDir,
      files,
      workDir,
      inputs,
      trivyVersion: (scanned[0] as ScannedImage).report.TrivyVersion ?? '',
      registries: run.registries,
      cacheRoot: productionCacheRoot(process.env, run.tempRoot),
      actionsCache: inputs.dbCache && hasCacheService(env)
    }),
    deployed
  )
  if (production) core.info(`Compared with production ${production.reference}: ${production.headline}`)
  const scope = resolveGateScope(inputs.gateOn, production !== undefined)
  if (scope.warning) core.warning(scope.warning)
  // gate-on: new judges, by the same rules, only what production does not already have.
  const gate =
    scope.scope === 'new' && production ? decideGate(production.comparison.added, gateOptions, now) : verdict
  const reported = reportedFindings(verdict.remaining, inputs.severities)
  const layers = mergeLayerMaps(
    scanned.map(({ platform, report }) => ({ platform, map: layerMap(built, report) }))
  )
  if (!layers.reliable) core.warning(`Findings cannot be placed on Dockerfile lines: ${layers.reason}.`)
  if (inputs.annotations) annotate(inputs, built, reported, layers)
  const report = (scanned[0] as ScannedImage).report
  const reportFile = (scanned[0] as ScannedImage).reportFile

  const sarifFile = inputs.sarifFile
    ? writeSarif(inputs, built, { report, findings: reported, layers, image })
    : ''
  const result: ScanResult = {
    result: gate.passed ? 'passed' : 'failed',
    findings: verdict.counts,
    reportFile,
    reportFiles: Object.fromEntries(scanned.map(({ platform, reportFile: file }) => [platform, file])),
    platforms: scanned.map(({ platform }) => platform).filter(Boolean),
    sarifFile,
    reasons: gate.failures.map((failure) =>
      gate === verdict ? failure.message : `${failure.message}, new since production (gate-on: new)`
    ),
    rows: rowsOf(reported, layers),
    ignored: verdict.ignored.length,
    dockerfile: built.dockerfile || 'Dockerfile',
    trivyVersion: report.TrivyVersion ?? '',
    severityThreshold: inputs.severityThreshold,
    startedOn,
    finishedOn: new Date(),
    ...(production
      ? {
          comparison: {
            reference: production.reference,
            headline: production.headline,
            counts: production.counts,
            gateOn: scope.scope,
            added: rowsOf(reportedFindings(production.comparison.added, inputs.severities), layers)
          }
        }
      : {})
  }
  core.info(verdictLine(verdict, gate.passed))
  const commented = await comment(run, inputs, result)
  if (commented) result.pullRequestComment = commented
  if (!gate.passed) {
    throw new StepError(gateFailedMessage(result.reasons), result)
  }
  return result
}

/** The first deploy host, when the deploy step reached it for this run (compare-to: deployed). */
function deployedService(inputs: ScanInputs, fleet: unknown): DeployedService | undefined {
  const first = (fleet as DeployFleet | undefined)?.targets[0]
  if (!first) return undefined
  return {
    docker: first.docker,
    url: first.host.url,
    project: first.plan.project,
    service: first.plan.service,
    orchestrator: inputs.deployOrchestrator
  }
}

/** Trivy runs at once at most, one per platform: each holds its image's analysis in memory. */
const PARALLEL_SCANS = Math.max(1, Math.min(availableParallelism(), 4))

/** One image Trivy reads: the engine's, or one platform's from the build's OCI layout. */
interface ScanTarget {
  /** '' for the image in the engine. */
  platform: string
  image: TrivyRun['image']
}

interface ScannedImage extends ScanTarget {
  reportFile: string
  report: TrivyReport
}

/**
 * What Trivy scans: the image in the engine, or each platform's image of the layout, each in a
 * layout of its own (Trivy reads the first image of a layout's index, whatever --platform says).
 */
function scanTargets(built: BuildResult, workDir: string): ScanTarget[] {
  if (!built.layout) return [{ platform: '', image: { engine: built.references[0] ?? built.imageId } }]
  const images = platformImages(built.layout.dir)
  if (images.length === 0)
    throw new Error(`the build's OCI layout ${built.layout.dir} holds no platform image`)
  return images.map(({ platform, descriptor }) => {
    const dir = path.join(workDir, `layout-${platform.replaceAll('/', '-')}`)
    singlePlatformLayout(built.layout?.dir ?? '', descriptor, dir)
    return { platform, image: { layout: dir } }
  })
}

/** A result's Target names what Trivy read (a layout folder's path): the image's name instead. */
function targetOf(target: string, scanned: TrivyRun['image'], image: string): string {
  if ('layout' in scanned && target.startsWith(scanned.layout))
    return image + target.slice(scanned.layout.length)
  return target
}

/** Today's DB from the Actions cache, where the run may use one (see trivy/db-cache.ts). */
async function restoreTodaysDb(
  inputs: ScanInputs,
  trivy: string,
  env: NodeJS.ProcessEnv
): Promise<DbCache | undefined> {
  if (inputs.skipDbUpdate || !inputs.dbCache) return undefined
  return restoreDb(
    async () => {
      // The entry is only for the Trivy that reads it: its key names the version.
      const said = await runProgram(trivy, ['--version'], { env, quiet: true, allowFailure: true })
      const trivyVersion = parseTrivyVersion(said.stdout)
      if (!trivyVersion) {
        core.warning(`The Trivy DB is not cached: ${trivy} --version did not say which version it is`)
        return undefined
      }
      return { trivyVersion, dbRepositories: inputs.dbRepositories }
    },
    env,
    new Date(),
    inputs.dbMaxAge.ms
  )
}

/**
 * The sticky pull request comment of this image, on pull request runs; never fails the scan. The
 * GitHub client is loaded only then (it is a chunk of its own, which other runs never load).
 */
async function comment(
  run: RunContext,
  inputs: ScanInputs,
  result: ScanResult
): Promise<CommentInput | undefined> {
  const { github } = run
  if (github.pullRequestNumber === undefined || !inputs.prComment) return undefined
  const { describeOutcome, upsertComment } = await import('./output/pr-comment/upsert.js')
  const written: CommentInput = {
    image: run.inputs.image.name,
    passed: result.result === 'passed',
    reasons: result.reasons,
    counts: result.findings,
    rows: result.rows,
    ignored: result.ignored,
    dockerfile: result.dockerfile,
    runUrl: runUrlFrom(),
    ...(result.comparison ? { comparison: comparisonLead(result.comparison) } : {})
  }
  const outcome = await upsertComment({
    enabled: inputs.prComment,
    token: inputs.githubToken,
    context: github,
    comment: written
  })
  const { warning, message } = describeOutcome(run.inputs.image.name, outcome)
  if (warning) core.warning(message)
  else core.info(message)
  return outcome.status === 'created' || outcome.status === 'updated' ? written : undefined
}

/** The report Trivy wrote; one that is missing or does not parse fails the scan. */
function readReport(file: string): TrivyReport {
  if (!existsSync(file)) throw new Error(`Trivy exited without writing its report to ${file}`)
  try {
    return parseTrivyReport(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new Error(`The scan cannot be judged: ${(error as Error).message} (${file})`)
  }
}

/** The ignore file's rules; getInputs refused a named file that is missing, the default may be. */
function readIgnoreRules(inputs: ScanInputs): IgnoreRule[] {
  const file = path.resolve(inputs.ignoreFile)
  if (!existsSync(file)) return []
  return parseIgnoreFile(inputs.ignoreFile, readFileSync(file, 'utf8'))
}

/** The image's layers on the Dockerfile's lines; not reliable without a local Dockerfile. */
function layerMap(built: Pick<BuildResult, 'dockerfile' | 'target'>, report: TrivyReport): LayerMap {
  const file = built.dockerfile
  if (!file || !existsSync(file)) {
    return { reliable: false, reason: 'the Dockerfile is not on this machine', byDiffId: new Map() }
  }
  return mapLayers(
    parseDockerfile(readFileSync(file, 'utf8')),
    imageLayersOf(report),
    built.target || undefined
  )
}

function annotate(
  inputs: ScanInputs,
  built: Pick<BuildResult, 'dockerfile'>,
  findings: ReturnType<typeof reportedFindings>,
  layers: LayerMap
): void {
  const file = built.dockerfile || 'Dockerfile'
  for (const annotation of annotationsFor({
    findings,
    layers,
    file,
    threshold: inputs.severityThreshold
  })) {
    const properties = { file: annotation.file, startLine: annotation.line, title: annotation.title }
    if (annotation.level === 'error') core.error(annotation.message, properties)
    else core.warning(annotation.message, properties)
  }
}

/**
 * The reported findings as SARIF, where the workflow asked (for github/codeql-action/upload-sarif),
 * on the Dockerfile lines. Returns the path written.
 */
function writeSarif(
  inputs: ScanInputs,
  built: Pick<BuildResult, 'dockerfile'>,
  {
    report,
    findings,
    layers,
    image
  }: { report: TrivyReport; findings: ReturnType<typeof reportedFindings>; layers: LayerMap; image: string }
): string {
  const file = path.resolve(inputs.sarifFile)
  // Code scanning places results on paths relative to the checkout (the workspace).
  const dockerfile = path
    .relative(process.cwd(), path.resolve(built.dockerfile || 'Dockerfile'))
    .split(path.sep)
    .join('/')
  let log: ReturnType<typeof sarifLog>
  try {
    log = sarifLog({ findings, layers, dockerfile, trivyVersion: report.TrivyVersion ?? '', image })
  } catch (error) {
    core.warning(`No SARIF was written: ${(error as Error).message}`)
    return ''
  }
  // getInputs checked the path; a link made since (by the build, say) is refused here.
  try {
    writeFileNoFollow(file, JSON.stringify(log), writeRoots())
  } catch (error) {
    throw new Error(`sarif-file: ${inputs.sarifFile} was not written: ${(error as Error).message}`)
  }
  core.info(`SARIF written to ${inputs.sarifFile}`)
  return file
}

function rowsOf(findings: ReturnType<typeof reportedFindings>, layers: LayerMap): FindingRow[] {
  return [...findings]
    .sort(worstFirst)
    .map((finding) => ({ finding, line: placeFinding(finding, layers).line }))
}

function verdictLine(verdict: GateVerdict, passed: boolean): string {
  const counted = verdict.remaining.length > 0 ? countText(verdict.remaining) : 'no findings'
  const ignored = verdict.ignored.length > 0 ? `, ${verdict.ignored.length} ignored` : ''
  return `Scan ${passed ? 'passed' : 'failed'}: ${counted}${ignored}`
}

export const scanStep: Step<'scan', ScanResult, ScanInputs, { build?: BuildResult }> = {
  name: 'scan',
  title: 'Scan',
  requires: [{ step: 'build', because: 'works on the image the build step makes' }],
  secretInputs: SCAN_SECRET_INPUTS,
  readInputs: readScanInputs,
  run: async (call) => {
    if (!call.earlier.build) throw new Error('scan needs the image the build step makes')
    return scan(call, call.earlier.build, deployedService(call.inputs, call.preparedBy?.('deploy')))
  },
  report: (result) => ({
    outputs: {
      'scan-result': result?.result ?? 'skipped',
      findings: JSON.stringify(result?.findings ?? {}),
      'report-file': result?.reportFile ?? '',
      'report-files': result && result.platforms.length > 0 ? JSON.stringify(result.reportFiles) : '',
      'sarif-file': result?.sarifFile ?? '',
      'new-findings': result?.comparison ? JSON.stringify(result.comparison.counts.added) : '',
      'fixed-findings': result?.comparison ? JSON.stringify(result.comparison.counts.fixed) : ''
    },
    rows: result
      ? [
          // The difference leads: what this release adds and removes, before the totals.
          ...(result.comparison ? [comparisonRow(result.comparison)] : []),
          ['Scan', result.reasons.length > 0 ? `failed: ${result.reasons.join('; ')}` : 'passed'],
          [
            'Findings',
            `${countsText(result.findings) || 'none'}${result.ignored > 0 ? ` (${result.ignored} ignored)` : ''}`
          ],
          ...(result.platforms.length > 0
            ? [['Platforms scanned', result.platforms.join(', ')] as [string, string]]
            : []),
          ['Report', code(result.reportFile)]
        ]
      : [['Scan', 'not run']],
    sections: result
      ? [
          ...(result.comparison ? [comparisonSection(result.comparison, result.dockerfile)] : []),
          scanSection(result.rows, result.dockerfile)
        ]
      : []
  })
}
