// The main entry the runner starts (action.yml `runs.main`).
import { run } from './main.js'

await run()
