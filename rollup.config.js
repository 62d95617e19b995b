// Two entry points, as the runner calls them: `main` (dist/index.js) and `post` (dist/post.js).
import commonjs from '@rollup/plugin-commonjs'
import json from '@rollup/plugin-json'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import typescript from '@rollup/plugin-typescript'

const entry = (input, file) => ({
  input,
  output: { file, format: 'es', sourcemap: false, inlineDynamicImports: true },
  // Some @actions dependencies are still CommonJS that require() node builtins.
  plugins: [
    typescript({ tsconfig: './tsconfig.build.json' }),
    nodeResolve({ preferBuiltins: true }),
    commonjs(),
    json()
  ],
  onwarn(warning, warn) {
    // undici and @actions/* use `this` at module top level and circular imports: harmless in a bundle.
    if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY') return
    warn(warning)
  }
})

export default [entry('src/index.ts', 'dist/index.js'), entry('src/post-entry.ts', 'dist/post.js')]
