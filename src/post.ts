// The post entry the runner starts (action.yml `runs.post`).
import { post } from './run/post.js'

await post()
