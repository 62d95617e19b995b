// The stand-in's check of the SARIF file (see action.yml): the SARIF 2.1.0 shape that GitHub's
// code scanning requires of an upload ("SARIF support for code scanning", GitHub docs): `version`
// 2.1.0, the 2.1.0 `$schema`, `runs` with `tool.driver.name` and `results`, each result with a
// `ruleId` or `rule.id`, a `message.text` and, for a location in the repository, a
// `physicalLocation.artifactLocation.uri` with a `region.startLine` of at least 1. The file and
// what was found in it are copied to $SARIF_STAND_IN_RECORD (a folder the script names).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] ?? '').trim()
const fail = (message) => {
  process.stdout.write(`::error::upload-sarif stand-in: ${message}\n`)
  process.exit(1)
}

const file = path.resolve(process.env.GITHUB_WORKSPACE ?? '.', input('sarif_file'))
const record = process.env.SARIF_STAND_IN_RECORD
if (!record) fail('SARIF_STAND_IN_RECORD is not set')
let log
try {
  log = JSON.parse(readFileSync(file, 'utf8'))
} catch (error) {
  fail(`${file} is not a readable JSON file: ${error.message}`)
}
if (log?.version !== '2.1.0') fail(`version is ${JSON.stringify(log?.version)}, not "2.1.0"`)
if (!/sarif-(schema-)?2\.1\.0/.test(String(log.$schema ?? '')))
  fail(`$schema ${log.$schema} is not SARIF 2.1.0's`)
if (!Array.isArray(log.runs) || log.runs.length === 0) fail('no runs')
const ruleIds = []
for (const [i, run] of log.runs.entries()) {
  if (typeof run?.tool?.driver?.name !== 'string') fail(`runs[${i}].tool.driver.name is missing`)
  if (!Array.isArray(run.results)) fail(`runs[${i}].results is not an array`)
  for (const [j, result] of run.results.entries()) {
    const where = `runs[${i}].results[${j}]`
    const ruleId = result?.ruleId ?? result?.rule?.id
    if (typeof ruleId !== 'string') fail(`${where} has no ruleId`)
    if (typeof result.message?.text !== 'string') fail(`${where} has no message.text`)
    for (const location of result.locations ?? []) {
      const physical = location?.physicalLocation
      if (typeof physical?.artifactLocation?.uri !== 'string') fail(`${where}: a location without a uri`)
      const line = physical.region?.startLine
      if (line !== undefined && !(Number.isInteger(line) && line >= 1)) fail(`${where}: startLine ${line}`)
    }
    ruleIds.push(ruleId)
  }
}
mkdirSync(record, { recursive: true })
copyFileSync(file, path.join(record, 'uploaded.sarif'))
const summary = { file, category: input('category'), runs: log.runs.length, results: ruleIds.length, ruleIds }
writeFileSync(path.join(record, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
console.log(
  `upload-sarif stand-in: ${file} is SARIF 2.1.0, ${ruleIds.length} results (${[...new Set(ruleIds)].join(', ')}); recorded, not uploaded`
)
