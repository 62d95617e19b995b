// The release workflow's first job: the pushed tag must be a release tag (v1.2.3 or a prerelease
// v1.2.3-rc.1) naming package.json's version, and CHANGELOG.md must have a non-empty section for
// it, before anything is built or tested. The tag comes from TAG (the workflow sets it from
// github.ref_name); the version and whether it is a prerelease go to GITHUB_OUTPUT.
//   node scripts/release/check-tag.mjs            (from the repository's root)
import { appendFileSync, readFileSync } from 'node:fs'
import { changelogSection, parseTag } from './lib.mjs'

const fail = (message) => {
  // On a runner, a workflow command on standard output, so that the run's summary shows it.
  if (process.env.GITHUB_ACTIONS === 'true') console.log(`::error::${message}`)
  else console.error(message)
  process.exit(1)
}

const tag = process.env.TAG ?? ''
const release = parseTag(tag)
if (release === undefined) {
  fail(
    `The tag "${tag}" is not a release tag: v<major>.<minor>.<patch> (v1.2.3) or a prerelease ` +
      `(v1.2.3-rc.1), Semantic Versioning without build metadata. Delete it ` +
      `(git push origin :refs/tags/${tag}) and push a tag of that form.`
  )
}
const { version } = JSON.parse(readFileSync('package.json', 'utf8'))
if (version !== release.version) {
  fail(
    `The tag ${tag} names version ${release.version}, package.json says ${version}: set "version" ` +
      `to ${release.version} (npm version ${release.version} --no-git-tag-version), commit, and ` +
      `tag that commit (docs/releasing.md).`
  )
}
const section = changelogSection(readFileSync('CHANGELOG.md', 'utf8'), release.version)
if (section === undefined || section === '') {
  fail(
    `CHANGELOG.md has ${section === undefined ? 'no' : 'an empty'} section for ${release.version}: ` +
      `its release notes are the "## [${release.version}] - <date>" section (docs/releasing.md).`
  )
}
const prerelease = release.prerelease.length > 0
console.log(
  `${tag}: version ${release.version}${prerelease ? ', a prerelease' : ''}, package.json and CHANGELOG.md agree`
)
if (process.env.GITHUB_OUTPUT) {
  appendFileSync(process.env.GITHUB_OUTPUT, `version=${release.version}\nprerelease=${prerelease}\n`)
}
