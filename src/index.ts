// The main entry the runner starts (action.yml `runs.main`): the pipeline's steps, run in order.
import { STEPS } from './pipeline/steps.js'
import { run } from './run/main.js'

await run(STEPS)
