// The post entry the runner starts (action.yml `runs.post`): each step's cleanup, then the run's.
import { CLEANUPS } from './pipeline/cleanups.js'
import { post } from './run/post.js'

await post(CLEANUPS)
