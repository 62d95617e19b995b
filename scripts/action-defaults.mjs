// Writes src/inputs/action-defaults.ts from action.yml, the one place input defaults are written:
// the runner passes them to the action, and the code applies the same table where an input comes
// empty (tests, a local run, an input set to ''). Defaults that are expressions (${{ ... }}) are
// the runner's alone. `--check` exits 1 when the file is not what action.yml gives.
//
//   node scripts/action-defaults.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as prettier from 'prettier'
import { parse } from 'yaml'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const TARGET = path.join(ROOT, 'src/inputs/action-defaults.ts')

/** @returns {Promise<string>} the module's text for the action.yml at `root`, as prettier writes it */
export async function actionDefaultsModule(root = ROOT) {
  const action = /** @type {{ inputs: Record<string, { default?: unknown }> }} */ (
    parse(readFileSync(path.join(root, 'action.yml'), 'utf8'))
  )
  const entries = Object.entries(action.inputs)
    .map(
      ([name, input]) =>
        /** @type {[string, string]} */ ([name, input.default === undefined ? '' : String(input.default)])
    )
    .filter(([, value]) => value !== '' && !value.includes('${{'))
  const lines = entries.map(([name, value]) => `  ${JSON.stringify(name)}: ${JSON.stringify(value)},`)
  const text = [
    '// Generated from action.yml by scripts/action-defaults.mjs: do not edit (npm run defaults).',
    '// The literal default of every input that has one, applied where an input comes empty.',
    'export const ACTION_DEFAULTS: Readonly<Record<string, string>> = {',
    ...lines,
    '}',
    ''
  ].join('\n')
  const options = await prettier.resolveConfig(TARGET)
  return prettier.format(text, { ...options, filepath: TARGET })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await actionDefaultsModule()
  if (process.argv.includes('--check')) {
    if (readFileSync(TARGET, 'utf8') !== text) {
      console.error('src/inputs/action-defaults.ts is not what action.yml gives: run npm run defaults')
      process.exit(1)
    }
  } else {
    writeFileSync(TARGET, text)
  }
}
