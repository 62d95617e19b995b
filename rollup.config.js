// Two entry points, as the runner calls them: `main` (dist/index.js) and `post` (dist/post.js).
import commonjs from '@rollup/plugin-commonjs'
import json from '@rollup/plugin-json'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import typescript from '@rollup/plugin-typescript'

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

// The main entry is split: what it imports dynamically (the Actions cache client, only on runners
// with a cache service) goes to dist/chunks/ and is loaded only when used.
const entry = (input, output) => ({
  input,
  output: { format: 'es', sourcemap: false, ...output },
  ...bundleOptions()
})

export default [
  entry('src/index.ts', {
    dir: 'dist',
    entryFileNames: 'index.js',
    chunkFileNames: 'chunks/[name]-[hash].js'
  }),
  entry('src/post-entry.ts', { file: 'dist/post.js', inlineDynamicImports: true })
]
