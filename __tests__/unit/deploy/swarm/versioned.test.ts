import { createHash } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { olderVersions } from '../../../../src/deploy/swarm/cleanup.js'
import {
  filesToRewrite,
  isVersionOf,
  rewriteEnvObjects,
  versionedObjects,
  versionedSections,
  versionName
} from '../../../../src/deploy/swarm/versioned.js'

const hash12 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12)

const layers = [
  {
    path: 'docker-compose.yml',
    document: {
      services: { web: { image: 'x' } },
      secrets: {
        token: { environment: 'API_TOKEN' },
        tls: { file: './tls.pem' },
        outside: { external: true },
        named: { file: './n', name: 'fixed' }
      },
      configs: { site: { file: 'site.conf' } }
    }
  }
]
const files: Record<string, string> = { './tls.pem': 'PEM', 'site.conf': 'listen 80;' }
const read = (file: string): Buffer => {
  const text = files[file]
  if (text === undefined) throw new Error('ENOENT: no such file')
  return Buffer.from(text)
}

describe('versioned secrets and configs', () => {
  it('names a version by the stack, the key and 12 hex digits of its content', () => {
    expect(versionName('swarm-app', 'token', 's3cret')).toBe(`swarm-app_token_${hash12('s3cret')}`)
    expect(versionName('swarm-app', 'token', 's3cret')).not.toBe(versionName('swarm-app', 'token', 's3cret2'))
    expect(isVersionOf(`swarm-app_token_${hash12('x')}`, 'swarm-app_token_')).toBe(true)
    expect(isVersionOf('swarm-app_token_other', 'swarm-app_token_')).toBe(false)
    expect(isVersionOf(`swarm-app_token_x_${hash12('x')}`, 'swarm-app_token_')).toBe(false)
  })

  it('versions those from environment: and file:, not external or named ones', () => {
    const objects = versionedObjects(layers, 'swarm-app', { API_TOKEN: 'v1' }, read)
    expect(objects.map(({ kind, key, name }) => [kind, key, name])).toEqual([
      ['secret', 'token', `swarm-app_token_${hash12('v1')}`],
      ['secret', 'tls', `swarm-app_tls_${hash12('PEM')}`],
      ['config', 'site', `swarm-app_site_${hash12('listen 80;')}`]
    ])
    expect(objects[0]).toMatchObject({ variable: 'API_TOKEN', value: 'v1' })
  })

  it('refuses an unset variable, an unreadable file and a name too long, each named', () => {
    expect(() => versionedObjects(layers, 'swarm-app', {}, read)).toThrow(
      'compose-file: secrets.token comes from the variable API_TOKEN, which is not set (set it in the env input)'
    )
    expect(() =>
      versionedObjects(layers, 'swarm-app', { API_TOKEN: 'v1' }, () => Buffer.from(''))
    ).not.toThrow()
    expect(() =>
      versionedObjects(layers, 'swarm-app', { API_TOKEN: 'v1' }, (file) => {
        if (file === 'site.conf') throw new Error('EACCES')
        return Buffer.from('')
      })
    ).toThrow('compose-file: configs.site: cannot read site.conf: EACCES')
    expect(() => versionedObjects(layers, 's'.repeat(50), { API_TOKEN: 'v1' }, read)).toThrow(
      "longer than Docker's 64 characters"
    )
  })

  it('names the file-fed versions in the generated file, with their file again', () => {
    const objects = versionedObjects(layers, 'swarm-app', { API_TOKEN: 'v1' }, read)
    expect(versionedSections(objects)).toEqual({
      secrets: { tls: { name: `swarm-app_tls_${hash12('PEM')}`, file: './tls.pem' } },
      configs: { site: { name: `swarm-app_site_${hash12('listen 80;')}`, file: 'site.conf' } }
    })
  })

  it('rewrites the file that defines an env-fed one into file: of the private value file', () => {
    const objects = versionedObjects(layers, 'swarm-app', { API_TOKEN: 'v1' }, read)
    expect(filesToRewrite(layers, objects)).toEqual(['docker-compose.yml'])
    const text = [
      'services:',
      '  web:',
      '    image: app:${APP_VERSION}',
      '    secrets: [token]',
      'secrets:',
      '  token:',
      '    environment: API_TOKEN',
      '  tls:',
      '    file: ./tls.pem',
      ''
    ].join('\n')
    const rewritten = parse(rewriteEnvObjects(text, objects, (object) => `/private/${object.key}`)) as Record<
      string,
      Record<string, unknown>
    >
    expect(rewritten.secrets).toEqual({
      token: { file: '/private/token', name: `swarm-app_token_${hash12('v1')}` },
      tls: { file: './tls.pem' }
    })
    expect(rewritten.services).toEqual({ web: { image: 'app:${APP_VERSION}', secrets: ['token'] } })
  })

  it('removes only older versions of the objects deployed', () => {
    const objects = versionedObjects(layers, 'swarm-app', { API_TOKEN: 'v1' }, read).filter(
      (object) => object.kind === 'secret'
    )
    const current = objects[0]?.name ?? ''
    const older = `swarm-app_token_${hash12('v0')}`
    expect(
      olderVersions([current, older, 'swarm-app_token_manual', 'swarm-app_other_0123456789ab'], objects)
    ).toEqual([older])
  })
})
