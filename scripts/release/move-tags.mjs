// Moves the moving tags of TAG (v1 and v1.2 for v1.2.3) to its commit and pushes them to origin,
// never backwards: a tag whose line has a higher release (v1.3.0 when v1.2.4 is released) stays,
// with a notice saying why; a prerelease moves nothing. Runs in the release job's checkout, whose
// tags are all fetched (fetch-depth: 0); git gets argument arrays, never a shell string.
//   node scripts/release/move-tags.mjs            (TAG=v1.2.3, from the repository's root)
import { execFileSync } from 'node:child_process'
import { movingTags, parseTag } from './lib.mjs'

const git = (...args) =>
  execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()
const notice = (message) =>
  console.log(process.env.GITHUB_ACTIONS === 'true' ? `::notice::${message}` : message)

const tag = process.env.TAG ?? ''
const release = parseTag(tag)
if (release === undefined) {
  console.error(`TAG="${tag}" is not a release tag (v1.2.3 or v1.2.3-rc.1)`)
  process.exit(1)
}
const commit = git('rev-parse', '--verify', `refs/tags/${tag}^{commit}`)
const { move, skip } = movingTags(release, git('tag', '--list').split('\n').filter(Boolean))
for (const { tag: stays, reason } of skip) notice(`${stays} stays where it is: ${reason}`)
if (move.length === 0) process.exit(0)
for (const moving of move) git('tag', '--force', moving, commit)
// Both in one push: the moving tags of one release change together or not at all.
git('push', '--force', '--atomic', 'origin', ...move.map((moving) => `refs/tags/${moving}`))
notice(`${move.join(' and ')} now point to ${commit} (${tag})`)
