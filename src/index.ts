// The main entry the runner starts (action.yml `runs.main`).
import { run } from './run/main.js'

await run()
