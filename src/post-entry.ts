// The post entry the runner starts (action.yml `runs.post`).
import { post } from './post.js'

await post()
