// See action.yml: the node running this step is the one later `run:` steps get from PATH.
const wanted = (process.env['INPUT_NODE-VERSION'] ?? '').trim()
const running = process.versions.node.split('.')[0]
if (!/^\d+$/.test(wanted)) {
  console.log(`::error::setup-node stand-in: node-version "${wanted}" is not a major version`)
  process.exit(1)
}
if (wanted !== running) {
  console.log(
    `::error::setup-node stand-in: the workflow asks for Node.js ${wanted}, act runs ${process.version}`
  )
  process.exit(1)
}
console.log(`setup-node stand-in: Node.js ${process.version} (${process.execPath}), nothing downloaded`)
