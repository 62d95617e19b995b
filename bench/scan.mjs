// Benchmark: what the scan step does with Trivy's report once Trivy has exited, on a report of
// 10,000 findings: read and parse the JSON into the typed model and its findings, the gate with an
// ignore file of 100 rules, the Dockerfile lines of the layers and the annotations, the step
// summary's section. Each stage is timed alone, then the whole (as src/scan/step.ts runs it,
// file reads included) against a bare JSON.parse of the same file. Prints the medians and the
// ratio. Needs no test bed: nothing here runs Trivy, docker or the network.
//
//   node bench/scan.mjs [rounds, default 15] [findings, default 10000]
//
// The action's modules are TypeScript and dist/ holds only the bundle of the whole action, so
// the bench first bundles the modules it times (the MODULES table below, all under src/scan/)
// with the same Rollup plugins
// and tsconfig.build.json as rollup.config.js, into a temporary folder it removes at the end.
// That takes a few seconds and is not timed; no new dependency is needed.
//
// The report is made from testbed-buildkit.json (the test bed's real Trivy v0.74.0 scan of
// __fixtures__/trivy/reports/testbed.Dockerfile): its Metadata (4 layers, BuildKit history) as it
// is, and its vulnerabilities and packages as templates, every field Trivy writes (Description,
// References, CVSS, ...) kept, varied by a seeded PRNG so that every run gets the same file:
// 90 % OS packages (apk) and 10 % npm packages in a second result with PkgPath, on 1,600
// packages; IDs unique per package; severities 5 % UNKNOWN, 20 % LOW, 40 % MEDIUM, 25 % HIGH,
// 10 % CRITICAL; 70 % fixed, 20 % affected, 10 % will_not_fix; layers 55 % the base image's,
// 30 % the RUN's, 15 % the two COPYs'. The ignore file is a .trivyignore.yaml of 100 rules
// naming IDs of the report: 50 by ID alone, 20 with paths globs, 20 with purls, 10 expired.
//
// Measured on this project's 2-core machine (Node 24.22.3 (see docs/measurements.md for the Node 20.20.2 run), 15 rounds, medians; a 35.8 MiB report;
// 89 findings ignored, 10 by expired rules), while other jobs kept the load at about 3:
//
//   JSON.parse                               118 ms
//   parseTrivyReport + findingsOf            165 ms   (its own JSON.parse included)
//   ignore file (100 rules) + decideGate     253 ms
//   decideGate, no ignore file                69 ms
//   mapLayers + annotationsFor                14 ms
//   scanSection (the summary)                 15 ms   (900 KiB, cut at its budget)
//   bare: read + JSON.parse                  199 ms
//   whole: read + everything                 538 ms
//   ratio whole / bare JSON.parse            2.70
//
// Over five runs, four at a load near 3, the whole took 0.52 to 0.67 s and the ratio was 2.70 to
// 3.31; the fifth, at a load of 5, 0.99 s and 3.29. The gate is the largest stage: every finding's Package URL is
// parsed three times and the rules are filtered three times per finding (src/scan/ignore/ignore-file.ts,
// matchIgnoreRule and expiredIgnoreRule), even with no ignore file at all.
import { Buffer } from 'node:buffer'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { rollup } from 'rollup'

const rounds = Number(process.argv[2] ?? 15)
const findingCount = Number(process.argv[3] ?? 10_000)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** The plugins and warnings dist/ is bundled with (rollup.config.js is not type-checked: loaded by URL). */
const { bundleOptions } = /** @type {{ bundleOptions: (typescript: Record<string, unknown>) => object }} */ (
  await import(pathToFileURL(path.join(ROOT, 'rollup.config.js')).href)
)
const REPORTS = path.join(ROOT, '__fixtures__/trivy/reports')
const work = mkdtempSync(path.join(os.tmpdir(), 'bench-scan-'))
process.on('exit', () => rmSync(work, { recursive: true, force: true }))

// --- the action's modules, bundled as rollup.config.js bundles them ---

/** The modules by the name they are loaded under, and their file under src/. */
const MODULES = {
  'trivy-report': 'scan/trivy/report',
  'trivy-findings': 'scan/trivy/findings',
  'trivy-ignore': 'scan/ignore/ignore-file',
  gate: 'scan/gate',
  'dockerfile-map': 'scan/dockerfile-map',
  annotations: 'scan/output/annotations',
  'scan-summary': 'scan/output/summary',
  severity: 'scan/severity'
}
const bundleStart = performance.now()
const bundle = await rollup({
  input: Object.fromEntries(
    Object.entries(MODULES).map(([name, file]) => [name, path.join(ROOT, 'src', `${file}.ts`)])
  ),
  ...bundleOptions({ tsconfig: path.join(ROOT, 'tsconfig.build.json'), noEmitOnError: false })
})
await bundle.write({ dir: path.join(work, 'modules'), format: 'es', entryFileNames: '[name].js' })
await bundle.close()
/** @param {string} name */
const load = (name) => import(pathToFileURL(path.join(work, 'modules', `${name}.js`)).href)
/** @type {typeof import('../src/scan/trivy/report.js')} */
const { parseTrivyReport } = await load('trivy-report')
/** @type {typeof import('../src/scan/trivy/findings.js')} */
const { findingsOf } = await load('trivy-findings')
/** @type {typeof import('../src/scan/ignore/ignore-file.js')} */
const { parseIgnoreFile } = await load('trivy-ignore')
/** @type {typeof import('../src/scan/gate.js')} */
const { decideGate, reportedFindings } = await load('gate')
/** @type {typeof import('../src/scan/dockerfile-map.js')} */
const { mapLayers, parseDockerfile } = await load('dockerfile-map')
/** @type {typeof import('../src/scan/output/annotations.js')} */
const { annotationsFor, placeFinding } = await load('annotations')
/** @type {typeof import('../src/scan/output/summary.js')} */
const { scanSection } = await load('scan-summary')
/** @type {typeof import('../src/scan/severity.js')} */
const { SEVERITIES } = await load('severity')
console.log(
  `bundled ${Object.keys(MODULES).length} modules in ${((performance.now() - bundleStart) / 1000).toFixed(1)} s (not timed)`
)

// --- the report, the ignore file and the Dockerfile ---

/** mulberry32: the same numbers every run. */
let seed = 0x5eed
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
/**
 * @template T
 * @param {[T, number][]} weighted  values with weights summing to 1
 * @returns {T}
 */
const pick = (weighted) => {
  let x = random()
  for (const [value, weight] of weighted) {
    if ((x -= weight) < 0) return value
  }
  return /** @type {[T, number]} */ (weighted[weighted.length - 1])[0]
}
const int = (/** @type {number} */ below) => Math.floor(random() * below)

/** @typedef {Record<string, any>} Json */
/** @param {Json} value */
const clone = (value) => /** @type {Json} */ (JSON.parse(JSON.stringify(value)))
/** @type {Json} */
const template = JSON.parse(readFileSync(path.join(REPORTS, 'testbed-buildkit.json'), 'utf8'))
const osResult = /** @type {Json} */ (template.Results[0])
/** @type {Json[]} */
const vulnTemplates = osResult.Vulnerabilities
const packageTemplate = /** @type {Json} */ (osResult.Packages[0])
/** @type {string[]} */
const diffIds = template.Metadata.DiffIDs
const layerOf = () =>
  pick([
    [diffIds[0], 0.55],
    [diffIds[1], 0.3],
    [diffIds[2], 0.08],
    [diffIds[3], 0.07]
  ])

const WORDS = ['ssl', 'crypto', 'xml2', 'curl', 'z', 'png', 'jpeg', 'tiff', 'ssh', 'krb5', 'idn', 'gcrypt']
/**
 * @param {'apk' | 'npm'} type
 * @param {number} i
 */
function makePackage(type, i) {
  const name = type === 'apk' ? `lib${WORDS[i % WORDS.length]}${i}` : `${WORDS[i % WORDS.length]}-js-${i}`
  const version = `${1 + int(4)}.${int(20)}.${int(30)}${type === 'apk' ? `-r${int(9)}` : ''}`
  const purl =
    type === 'apk'
      ? `pkg:apk/alpine/${name}@${version}?arch=x86_64&distro=3.9.4`
      : `pkg:npm/${name}@${version}`
  const pkgPath = type === 'npm' ? `app/node_modules/${name}/package.json` : undefined
  return { name, version, purl, pkgPath, layer: layerOf() }
}
/** @typedef {ReturnType<typeof makePackage>} Package */

const STATUSES = /** @type {[string, number][]} */ ([
  ['fixed', 0.7],
  ['affected', 0.2],
  ['will_not_fix', 0.1]
])
const SEVERITY_MIX = /** @type {[string, number][]} */ ([
  ['UNKNOWN', 0.05],
  ['LOW', 0.2],
  ['MEDIUM', 0.4],
  ['HIGH', 0.25],
  ['CRITICAL', 0.1]
])

/**
 * One vulnerability as Trivy writes it, from a template of the real report.
 * @param {Package} pkg
 * @param {string} id
 */
function makeVulnerability(pkg, id) {
  const base = /** @type {Json} */ (vulnTemplates[int(vulnTemplates.length)])
  const status = pick(STATUSES)
  const lower = id.toLowerCase()
  /** @type {Json} */
  const vuln = {
    ...clone(base),
    VulnerabilityID: id,
    PkgID: `${pkg.name}@${pkg.version}`,
    PkgName: pkg.name,
    ...(pkg.pkgPath ? { PkgPath: pkg.pkgPath } : {}),
    PkgIdentifier: { PURL: pkg.purl, UID: (int(2 ** 32) * 2 ** 20 + int(2 ** 20)).toString(16) },
    InstalledVersion: pkg.version,
    Status: status,
    Layer: { DiffID: pkg.layer },
    PrimaryURL: `https://avd.aquasec.com/nvd/${lower}`,
    Fingerprint: `sha256:${[...Array(4)]
      .map(() =>
        int(2 ** 32)
          .toString(16)
          .padStart(8, '0')
      )
      .join('')}`,
    Title: `${pkg.name}: ${base.Title ?? 'a flaw'} (${id})`,
    Description: `${base.Description ?? ''} ${id} affects ${pkg.name} ${pkg.version}.`,
    Severity: pick(SEVERITY_MIX),
    References: /** @type {string[]} */ (base.References ?? []).map((url) => url.replace(/CVE-\d+-\d+/gi, id))
  }
  if (status === 'fixed') vuln.FixedVersion = `${pkg.version.split('-')[0]}-r${10 + int(9)}`
  else delete vuln.FixedVersion
  return vuln
}

const osCount = Math.round(findingCount * 0.9)
const apkPackages = [...Array(1_400)].map((_, i) => makePackage('apk', i))
const npmPackages = [...Array(200)].map((_, i) => makePackage('npm', i))
/** @type {Set<string>} */
const used = new Set()
/** @param {Package[]} packages @param {number} count */
const vulnerabilities = (packages, count) =>
  [...Array(count)].map(() => {
    for (;;) {
      const pkg = /** @type {Package} */ (packages[int(packages.length)])
      const id =
        random() < 0.9
          ? `CVE-${2015 + int(11)}-${1000 + int(60_000)}`
          : `GHSA-${int(36 ** 4).toString(36)}-xq7p-r2m9`
      if (used.has(`${id} ${pkg.name}`)) continue
      used.add(`${id} ${pkg.name}`)
      return makeVulnerability(pkg, id)
    }
  })
/** @param {Package} pkg */
const packageEntry = (pkg) => ({
  ...clone(packageTemplate),
  ID: `${pkg.name}@${pkg.version}`,
  Name: pkg.name,
  Identifier: { PURL: pkg.purl, UID: int(2 ** 32).toString(16) },
  Version: pkg.version,
  SrcName: pkg.name,
  SrcVersion: pkg.version,
  Layer: { DiffID: pkg.layer },
  ...(pkg.pkgPath ? { FilePath: pkg.pkgPath } : {})
})
const report = {
  ...template,
  Results: [
    {
      ...osResult,
      Packages: apkPackages.map(packageEntry),
      Vulnerabilities: vulnerabilities(apkPackages, osCount)
    },
    {
      Target: 'Node.js',
      Class: 'lang-pkgs',
      Type: 'node-pkg',
      Packages: npmPackages.map(packageEntry),
      Vulnerabilities: vulnerabilities(npmPackages, findingCount - osCount)
    }
  ]
}
const reportFile = path.join(work, 'trivy.json')
// As Trivy writes it: indented by two spaces.
writeFileSync(reportFile, JSON.stringify(report, null, 2))

/** @type {Json[]} */
const allVulns = report.Results.flatMap((result) => result.Vulnerabilities)
/** @type {Json[]} */
const npmVulns = report.Results[1]?.Vulnerabilities ?? []
/** @param {Json[]} from */
const vulnAt = (from) => /** @type {Json} */ (from[int(from.length)])
const ignoreLines = ['vulnerabilities:']
for (let i = 0; i < 100; i++) {
  // The paths rules name npm packages, whose findings have a file (PkgPath) a glob can match.
  const vuln = vulnAt(i >= 50 && i < 70 ? npmVulns : allVulns)
  ignoreLines.push(`  - id: ${vuln.VulnerabilityID}`, `    statement: accepted risk ${i + 1}, reviewed`)
  if (i >= 50 && i < 70) {
    ignoreLines.push('    paths:', '      - "app/node_modules/**/package.json"')
  } else if (i >= 70 && i < 90) {
    ignoreLines.push('    purls:', `      - "${String(vuln.PkgIdentifier.PURL).replace(/@[^?]*/, '')}"`)
  } else if (i >= 90) {
    ignoreLines.push('    expired_at: 2024-06-01')
  }
  if (i < 90 && i % 3 === 0) ignoreLines.push('    expired_at: 2099-01-01')
}
const ignoreFile = path.join(work, '.trivyignore.yaml')
writeFileSync(ignoreFile, `${ignoreLines.join('\n')}\n`)
const dockerfileFile = path.join(REPORTS, 'testbed.Dockerfile')

// --- the stages, and the whole as src/scan/step.ts runs it ---

const now = new Date()
const text = readFileSync(reportFile, 'utf8')
const parsed = parseTrivyReport(text)
const findings = findingsOf(parsed)
const rules = parseIgnoreFile(ignoreFile, readFileSync(ignoreFile, 'utf8'))
/** @type {import('../src/scan/gate.js').GateOptions} */
const gateOptions = { severityThreshold: 'HIGH', maxFindings: {}, ignoreUnfixed: false, ignoreRules: rules }
const verdict = decideGate(findings, gateOptions, now)
const reported = reportedFindings(verdict.remaining, SEVERITIES)
/** @param {import('../src/scan/trivy/report.js').TrivyReport} model */
const imageLayers = (model) => ({
  diffIds: model.Metadata.DiffIDs ?? [],
  history: (model.Metadata.ImageConfig?.history ?? []).map((entry) => ({
    createdBy: entry.created_by ?? '',
    emptyLayer: entry.empty_layer ?? false
  }))
})
const dockerfileText = readFileSync(dockerfileFile, 'utf8')
const layers = mapLayers(parseDockerfile(dockerfileText), imageLayers(parsed))
if (findings.length !== findingCount) throw new Error(`the report has ${findings.length} findings`)
if (!layers.reliable) throw new Error(`the layers do not map: ${layers.reason}`)

/** @type {Record<string, () => unknown>} */
const stages = {
  'JSON.parse': () => JSON.parse(text),
  'parseTrivyReport + findingsOf': () => findingsOf(parseTrivyReport(text)),
  'ignore file (100 rules) + decideGate': () =>
    decideGate(
      findings,
      { ...gateOptions, ignoreRules: parseIgnoreFile(ignoreFile, readFileSync(ignoreFile, 'utf8')) },
      now
    ),
  'decideGate, no ignore file': () => decideGate(findings, { ...gateOptions, ignoreRules: [] }, now),
  'mapLayers + annotationsFor': () =>
    annotationsFor({
      findings: reported,
      layers: mapLayers(parseDockerfile(dockerfileText), imageLayers(parsed)),
      file: 'Dockerfile',
      threshold: 'HIGH'
    }),
  'scanSection (the summary)': () =>
    scanSection(
      reported.map((finding) => ({ finding, line: placeFinding(finding, layers).line })),
      'Dockerfile'
    ),
  'bare: read + JSON.parse': () => JSON.parse(readFileSync(reportFile, 'utf8')),
  'whole: read + everything': () => {
    const model = parseTrivyReport(readFileSync(reportFile, 'utf8'))
    const ignoreRules = parseIgnoreFile(ignoreFile, readFileSync(ignoreFile, 'utf8'))
    const judged = decideGate(findingsOf(model), { ...gateOptions, ignoreRules }, new Date())
    const shown = reportedFindings(judged.remaining, SEVERITIES)
    const map = mapLayers(parseDockerfile(readFileSync(dockerfileFile, 'utf8')), imageLayers(model))
    const annotations = annotationsFor({
      findings: shown,
      layers: map,
      file: 'Dockerfile',
      threshold: 'HIGH'
    })
    const rows = shown.map((finding) => ({ finding, line: placeFinding(finding, map).line }))
    return [annotations, scanSection(rows, 'Dockerfile')]
  }
}

/** @type {Record<string, number[]>} */
const times = Object.fromEntries(Object.keys(stages).map((name) => [name, []]))
// Two rounds of warm-up (JIT), not counted; then every stage once a round, in turn.
for (let round = -2; round < rounds; round++) {
  for (const [name, stage] of Object.entries(stages)) {
    const start = performance.now()
    stage()
    const ms = performance.now() - start
    if (round >= 0) /** @type {number[]} */ (times[name]).push(ms)
  }
}

/** @param {number[]} values */
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const at = (/** @type {number} */ index) => sorted[index] ?? NaN
  return sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2
}

const megabytes = (Buffer.byteLength(text) / 1024 / 1024).toFixed(1)
const section = scanSection(
  reported.map((finding) => ({ finding, line: placeFinding(finding, layers).line })),
  'Dockerfile'
)
console.log(
  `report: ${findings.length} findings, ${megabytes} MiB; ignore file: ${rules.length} rules, ` +
    `${verdict.ignored.length} findings ignored, ${verdict.expiredIgnores.length} by expired rules; ` +
    `gate ${verdict.passed ? 'passed' : 'failed'}; summary section ${(Buffer.byteLength(section) / 1024).toFixed(0)} KiB`
)
console.log(`Node ${process.version}, ${os.cpus().length} CPUs, ${rounds} rounds, medians:`)
for (const [name, values] of Object.entries(times)) {
  console.log(`  ${name.padEnd(38)} ${median(values).toFixed(1).padStart(8)} ms`)
}
const whole = median(/** @type {number[]} */ (times['whole: read + everything']))
const bare = median(/** @type {number[]} */ (times['bare: read + JSON.parse']))
console.log(`ratio whole / bare JSON.parse of the same file: ${(whole / bare).toFixed(2)}`)
