// Two entry points, as the runner calls them: `main` (dist/index.js) and `post` (dist/post.js).
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import commonjs from '@rollup/plugin-commonjs'
import json from '@rollup/plugin-json'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import typescript from '@rollup/plugin-typescript'
import license from 'rollup-plugin-license'

const ROOT = path.dirname(fileURLToPath(import.meta.url))

/**
 * Plugins and warnings of every bundle of src/ (bench/scan.mjs bundles with them too).
 * @param {Record<string, unknown>} [typescriptOptions] options of @rollup/plugin-typescript
 */
export const bundleOptions = (typescriptOptions = { tsconfig: './tsconfig.build.json' }) => ({
  // Some @actions dependencies are still CommonJS that require() node builtins.
  plugins: [typescript(typescriptOptions), nodeResolve({ preferBuiltins: true }), commonjs(), json()],
  onwarn(warning, warn) {
    // undici and @actions/* use `this` at module top level and circular imports: harmless in a bundle.
    if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY') return
    warn(warning)
  }
})

/** Code-unit order, the same on every machine and locale (localeCompare is neither). */
const byCodeUnits = (a, b) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The text of dist/licenses.txt: the packages sorted by name and version, each with its license
 * and the license and notice files it ships, and no date, so that the same bundle gives the same file.
 * @param {import('rollup-plugin-license').Dependency[]} dependencies
 */
const licensesText = (dependencies) => {
  const text = (/** @type {string} */ raw) => raw.replace(/\r\n?/g, '\n').trimEnd()
  const sections = [...dependencies]
    .sort((a, b) => byCodeUnits(a.name ?? '', b.name ?? '') || byCodeUnits(a.version ?? '', b.version ?? ''))
    .map((dependency) => {
      const { name, version, license, licenseText, noticeText } = dependency
      const lines = [`${name} ${version}`, `License: ${license ?? 'UNKNOWN (no license field)'}`, '']
      lines.push(licenseText ? text(licenseText) : '(the package ships no LICENSE file)')
      if (noticeText) lines.push('', 'NOTICE:', '', text(noticeText))
      return lines.join('\n')
    })
  const header = [
    `Third-party packages bundled into dist/ (index.js, chunks/, post.js): ${sections.length}.`,
    'Each with its version, its license and the license text it ships. Made by `npm run bundle`',
    '(rollup-plugin-license in rollup.config.js): do not edit.'
  ].join('\n')
  const rule = '='.repeat(80)
  return [header, ...sections].join(`\n\n${rule}\n`) + '\n'
}

// One instance for both builds: it keeps every package it has seen in the chunks it rendered
// (tree-shaken modules do not count) and rewrites dist/licenses.txt with all of them at the end
// of each build, so the file the last build writes covers dist/index.js, dist/chunks/ and
// dist/post.js. Not in bundleOptions(): bench/scan.mjs bundles with those and writes no licenses.
const licenses = license({
  cwd: ROOT,
  sourcemap: false,
  thirdParty: {
    // A bundled package is listed even if its package.json says private, and each version of a
    // package bundled twice is listed.
    includePrivate: true,
    multipleVersions: true,
    output: (dependencies) => writeFileSync(path.join(ROOT, 'dist/licenses.txt'), licensesText(dependencies))
  }
})

// The main entry is split: what it imports dynamically (the Actions cache client, only on runners
// with a cache service) goes to dist/chunks/ and is loaded only when used.
const entry = (input, output) => {
  const { plugins, onwarn } = bundleOptions()
  return {
    input,
    output: { format: 'es', sourcemap: false, ...output },
    plugins: [...plugins, licenses],
    onwarn
  }
}

export default [
  entry('src/index.ts', {
    dir: 'dist',
    entryFileNames: 'index.js',
    chunkFileNames: 'chunks/[name]-[hash].js'
  }),
  entry('src/post.ts', { file: 'dist/post.js', inlineDynamicImports: true })
]
