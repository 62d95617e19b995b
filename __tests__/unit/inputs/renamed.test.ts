import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../../src/inputs/fields.js'
import { RENAMED_INPUTS, renamedInputReader } from '../../../src/inputs/renamed.js'
import { getInputs } from '../../../src/pipeline/inputs.js'
import { readInputs } from '../../../src/run/run-inputs.js'
import { STEPS } from '../../../src/pipeline/steps.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const reader = (given: Record<string, string>) => (name: string) => given[name] ?? ''

describe('renamedInputReader', () => {
  it('reads an old name under the new one, with a warning naming the new one', () => {
    const renamed = renamedInputReader(reader({ 'docker-host': 'ssh://deploy@prod' }))
    expect(renamed.read('deploy-host')).toBe('ssh://deploy@prod')
    expect(renamed.read('docker-host')).toBe('')
    expect(renamed.warnings).toEqual([
      expect.stringContaining('docker-host is deprecated: rename it to deploy-host')
    ])
    expect(renamed.problems).toEqual([])
  })

  it('says nothing when only the new name is used', () => {
    const renamed = renamedInputReader(reader({ 'deploy-host': 'ssh://deploy@prod' }))
    expect(renamed.read('deploy-host')).toBe('ssh://deploy@prod')
    expect(renamed).toMatchObject({ warnings: [], problems: [] })
  })

  it('refuses both names set, naming both', () => {
    const renamed = renamedInputReader(reader({ 'deploy-host': 'ssh://a@one', 'docker-host': 'ssh://a@two' }))
    expect(renamed.problems).toEqual([
      'deploy-host: docker-host is set too, and it is the old name of deploy-host: keep only deploy-host (remove docker-host from the workflow)'
    ])
  })

  it('takes annotations: true or false as scan-annotations, also beside the default the runner passes', () => {
    // The runner passes scan-annotations' default (true) when the workflow does not set it.
    const renamed = renamedInputReader(reader({ annotations: 'false', 'scan-annotations': 'true' }))
    expect(renamed.read('scan-annotations')).toBe('false')
    expect(renamed.read('annotations')).toBe('')
    expect(renamed.warnings).toEqual([
      expect.stringContaining('annotations is deprecated: rename it to scan-annotations')
    ])
  })

  it('leaves OCI annotations to the annotations input', () => {
    const oci = 'manifest:org.opencontainers.image.title=web'
    const renamed = renamedInputReader(reader({ annotations: oci, 'scan-annotations': 'true' }))
    expect(renamed.read('annotations')).toBe(oci)
    expect(renamed.read('scan-annotations')).toBe('true')
    expect(renamed).toMatchObject({ warnings: [], problems: [] })
  })

  it('refuses scan-annotations set away from its default beside the old annotations: true', () => {
    const renamed = renamedInputReader(reader({ annotations: 'true', 'scan-annotations': 'false' }))
    expect(renamed.problems).toEqual([expect.stringContaining('scan-annotations: annotations is set too')])
  })

  it('is one row per rename, each new name an input of its own', () => {
    expect(RENAMED_INPUTS.map(({ old, now }) => [old, now])).toEqual([
      ['docker-host', 'deploy-host'],
      ['annotations', 'scan-annotations']
    ])
  })
})

describe('the inputs read through the renames', () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'renamed-'))
  writeFileSync(path.join(cwd, 'Dockerfile'), 'FROM scratch\n')
  const base = { image: 'ghcr.io/acme/web', service: 'web' }

  it('deploys to docker-host as to deploy-host, and warns', () => {
    const read = readInputs(STEPS, reader({ ...base, 'docker-host': 'unix:///var/run/docker.sock' }), cwd)
    const own = read.own as { deploy: { dockerHosts: { url: string }[] } }
    expect(own.deploy.dockerHosts.map((host) => host.url)).toEqual(['unix:///var/run/docker.sock'])
    expect(read.warnings).toEqual([expect.stringContaining('rename it to deploy-host')])
  })

  it('names deploy-host in the problems of a host given under the old name', () => {
    expect(() => getInputs(reader({ ...base, 'docker-host': 'prod.example.com' }), cwd)).toThrow(
      'deploy-host: "prod.example.com" is not'
    )
  })

  it('fails both names set before anything runs', () => {
    expect(() =>
      getInputs(reader({ ...base, 'docker-host': 'unix:///a.sock', 'deploy-host': 'unix:///b.sock' }), cwd)
    ).toThrow(InputError)
  })

  it('turns check annotations off with the old annotations: false, and builds without OCI annotations', () => {
    const inputs = getInputs(reader({ ...base, annotations: 'false' }), cwd)
    expect(inputs.scan.annotations).toBe(false)
    expect(inputs.build.annotations).toEqual([])
  })

  it('reads scan-annotations and OCI annotations side by side', () => {
    const inputs = getInputs(
      reader({
        ...base,
        'scan-annotations': 'false',
        annotations:
          'org.opencontainers.image.title=web\nindex:org.opencontainers.image.description=A web app'
      }),
      cwd
    )
    expect(inputs.scan.annotations).toBe(false)
    expect(inputs.build.annotations).toEqual([
      'org.opencontainers.image.title=web',
      'index:org.opencontainers.image.description=A web app'
    ])
  })
})
