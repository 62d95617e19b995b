// Benchmark: oversized inputs stay bounded in time and memory. Three cases, each timed alone with
// the process's peak memory (maxRSS) before and after:
//   - getInputs with `build-args` and `labels` at the largest value an action can receive: the
//     runner passes inputs as environment variables, and Linux holds at most 128 KiB in one
//     (MAX_ARG_STRLEN), so a 10 MB build-args never reaches an action (the runner's exec fails);
//   - a plain .trivyignore of 100,000 lines, parsed, then the gate over the findings of Trivy's
//     alpine-310 golden report with those rules;
//   - a .trivyignore.yaml of 100,000 entries, parsed, then the same gate.
// Needs no test bed. The modules are bundled first as bench/scan.mjs does (not timed).
//
//   node bench/oversized.mjs
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { rollup } from 'rollup'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const { bundleOptions } = /** @type {{ bundleOptions: (typescript: Record<string, unknown>) => object }} */ (
  await import(pathToFileURL(path.join(ROOT, 'rollup.config.js')).href)
)
const work = mkdtempSync(path.join(os.tmpdir(), 'bench-oversized-'))
process.on('exit', () => rmSync(work, { recursive: true, force: true }))

/** The modules by the name they are loaded under, and their file under src/. */
const MODULES = {
  inputs: 'pipeline/inputs',
  'trivy-ignore': 'scan/ignore/ignore-file',
  'trivy-report': 'scan/trivy/report',
  'trivy-findings': 'scan/trivy/findings',
  gate: 'scan/gate'
}
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
/** @type {typeof import('../src/pipeline/inputs.js')} */
const { getInputs } = await load('inputs')
/** @type {typeof import('../src/scan/ignore/ignore-file.js')} */
const { parseIgnoreFile } = await load('trivy-ignore')
/** @type {typeof import('../src/scan/trivy/report.js')} */
const { parseTrivyReport } = await load('trivy-report')
/** @type {typeof import('../src/scan/trivy/findings.js')} */
const { findingsOf } = await load('trivy-findings')
/** @type {typeof import('../src/scan/gate.js')} */
const { decideGate } = await load('gate')

/**
 * @template T
 * @param {string} name
 * @param {() => T} run
 * @returns {T}
 */
function measure(name, run) {
  const before = process.resourceUsage().maxRSS
  const start = performance.now()
  const result = run()
  const ms = performance.now() - start
  const after = process.resourceUsage().maxRSS
  console.log(
    `${name.padEnd(58)} ${ms.toFixed(0).padStart(6)} ms   peak memory ${(after / 1024).toFixed(0)} MiB (+${((after - before) / 1024).toFixed(0)})`
  )
  return result
}

// getInputs at the 128 KiB limit of one environment variable.
const LIMIT = 128 * 1024 - 1
/** @param {string} prefix */
const kv = (prefix) => {
  const lines = []
  let size = 0
  for (let i = 0; size < LIMIT - 40; i++) {
    const line = `${prefix}${i}=${'v'.repeat(20)}`
    lines.push(line)
    size += line.length + 1
  }
  return lines.join('\n')
}
const workspace = mkdtempSync(path.join(work, 'workspace-'))
writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n')
/** @type {Record<string, string>} */
const given = { image: 'ghcr.io/acme/web', 'build-args': kv('ARG'), labels: kv('label') }
const inputs = measure(`getInputs: build-args and labels of 128 KiB each`, () =>
  getInputs((name) => given[name] ?? '', workspace)
)
console.log(`  ${inputs.build.buildArgs.length} build args, ${inputs.build.labels.length} labels`)

// The gate with 100,000 ignore rules.
const report = parseTrivyReport(
  readFileSync(path.join(ROOT, '__fixtures__/trivy/reports/alpine-310.json'), 'utf8')
)
const findings = findingsOf(report)
const now = new Date('2026-11-25T00:00:00Z')
const RULES = 100_000
const plain = Array.from({ length: RULES }, (_, i) => `CVE-2099-${String(i).padStart(6, '0')}`).join('\n')
const plainRules = measure(`.trivyignore: ${RULES} lines parsed`, () =>
  parseIgnoreFile('.trivyignore', plain)
)
measure(`gate: ${findings.length} findings, ${RULES} plain rules`, () =>
  decideGate(
    findings,
    { severityThreshold: 'HIGH', maxFindings: {}, ignoreUnfixed: false, ignoreRules: plainRules },
    now
  )
)
const yaml = `vulnerabilities:\n${Array.from(
  { length: RULES },
  (_, i) =>
    `  - id: CVE-2099-${String(i).padStart(6, '0')}\n    paths: ["usr/lib/${i}/*"]\n    statement: rule ${i}`
).join('\n')}\n`
const yamlRules = measure(`.trivyignore.yaml: ${RULES} entries parsed`, () =>
  parseIgnoreFile('.trivyignore.yaml', yaml)
)
measure(`gate: ${findings.length} findings, ${RULES} YAML rules`, () =>
  decideGate(
    findings,
    { severityThreshold: 'HIGH', maxFindings: {}, ignoreUnfixed: false, ignoreRules: yamlRules },
    now
  )
)
