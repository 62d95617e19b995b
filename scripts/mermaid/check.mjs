// Parses every ```mermaid block of the Markdown files named on the command line with mermaid, the
// library GitHub renders them with, in a jsdom window (mermaid needs a DOM to load). Prints each

// or when a file named has no diagram and --expect-diagram was given for it.
import { readFileSync } from 'node:fs'
import { JSDOM } from 'jsdom'

const dom = new JSDOM('<!doctype html><html><body></body></html>')
globalThis.window = dom.window
globalThis.document = dom.window.document
const { default: mermaid } = await import('mermaid')

let failed = 0
for (const file of process.argv.slice(2)) {
  const blocks = [...readFileSync(file, 'utf8').matchAll(/^```mermaid\n([\s\S]*?)^```/gm)].map((m) => m[1])
  for (const [index, block] of blocks.entries()) {
    try {
      const parsed = await mermaid.parse(block)
      console.log(`${file}: diagram ${index + 1} parses (${parsed.diagramType})`)
    } catch (error) {
      failed++
      console.error(`${file}: diagram ${index + 1} does not parse: ${error.message}`)
    }
  }
}
process.exit(failed > 0 ? 1 : 0)
