// The deploy tests' load generator (startLoad of scripts/deploy-stack.mjs) as a program, for a
// shell script that rolls a release out while requests go through the proxy: it sends requests
// to URL from CONCURRENCY loops, each on a new connection, until SIGTERM or SIGINT, then writes
// the LoadReport (total, failed, failures by reason, 200 answers by body) as JSON to REPORT.
//
//   node scripts/deploy-load.mjs URL REPORT [CONCURRENCY]
import { writeFileSync } from 'node:fs'
import { startLoad } from './deploy-stack.mjs'

const [url, reportFile, concurrencyArgument = '4'] = process.argv.slice(2)
const concurrency = Number(concurrencyArgument)
if (!url || !reportFile || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error('usage: node scripts/deploy-load.mjs URL REPORT [CONCURRENCY]')
  process.exit(2)
}
const load = startLoad(url, { concurrency })
let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  const report = await load.stop()
  // When each failed request was under way (Date.now() times), the first 10,000, is kept too.
  writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`)
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
process.on('SIGINT', () => void stop())
