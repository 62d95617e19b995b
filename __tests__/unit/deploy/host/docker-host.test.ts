import { describe, expect, it } from '@jest/globals'
import { parseDockerHosts } from '../../../../src/deploy/host/docker-host.js'

describe('parseDockerHosts: one host a line', () => {
  it('reads every line in order, skipping blank ones', () => {
    const hosts = parseDockerHosts(
      'ssh://deploy@a.example\n\n  tcp://10.0.0.5:2376  \nunix:///var/run/docker.sock\n'
    )
    expect(hosts.map((host) => host.url)).toEqual([
      'ssh://deploy@a.example',
      'tcp://10.0.0.5:2376',
      'unix:///var/run/docker.sock'
    ])
    expect(parseDockerHosts('')).toEqual([])
  })
  it('refuses a host named twice and every line that is not a host, together', () => {
    expect(() => parseDockerHosts('ssh://deploy@a.example\nftp://b\nssh://deploy@a.example')).toThrow(
      '"ftp://b" is not ssh://user@host[:port], tcp://host:port or unix:///path; ssh://deploy@a.example is named twice'
    )
  })
})
