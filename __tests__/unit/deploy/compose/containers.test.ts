import { describe, expect, it } from '@jest/globals'
import {
  NUMBER_LABEL,
  parseContainerInspect,
  PROJECT_LABEL,
  SERVICE_LABEL,
  serviceFilter,
  short
} from '../../../../src/deploy/compose/containers.js'

const WEB_ID = 'abcdef1234567890fedcba0987654321abcdef1234567890fedcba0987654321'
const IMAGE_ID = 'sha256:5b0e8a3c9c1f4d2e7a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b'
const DB_ID = '0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123'

/**
 * `docker container inspect` of two containers, as Docker Engine 20.10 prints it (trimmed of
 * nothing the parser might trip on): a web container with a healthcheck on two networks, and a
 * database without one that has exited.
 */
const INSPECT = `[
    {
        "Id": "${WEB_ID}",
        "Created": "2024-05-01T10:00:01.123456789Z",
        "Path": "/docker-entrypoint.sh",
        "Args": ["nginx", "-g", "daemon off;"],
        "State": {
            "Status": "running",
            "Running": true,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": 41233,
            "ExitCode": 0,
            "Error": "",
            "StartedAt": "2024-05-01T10:00:01.654321987Z",
            "FinishedAt": "0001-01-01T00:00:00Z",
            "Health": {
                "Status": "unhealthy",
                "FailingStreak": 3,
                "Log": [
                    {
                        "Start": "2024-05-01T10:00:06.700000000Z",
                        "End": "2024-05-01T10:00:06.790000000Z",
                        "ExitCode": 0,
                        "Output": "  % Total    % Received\\nok\\n"
                    },
                    {
                        "Start": "2024-05-01T10:00:11.800000000Z",
                        "End": "2024-05-01T10:00:11.890000000Z",
                        "ExitCode": 1,
                        "Output": "curl: (7) Failed to connect to localhost port 8080: Connection refused\\n"
                    }
                ]
            }
        },
        "Image": "${IMAGE_ID}",
        "ResolvConfPath": "/var/lib/docker/containers/${WEB_ID}/resolv.conf",
        "HostnamePath": "/var/lib/docker/containers/${WEB_ID}/hostname",
        "LogPath": "/var/lib/docker/containers/${WEB_ID}/${WEB_ID}-json.log",
        "Name": "/proj-web-4",
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "docker-default",
        "ExecIDs": null,
        "HostConfig": {
            "NetworkMode": "proj_default",
            "RestartPolicy": { "Name": "unless-stopped", "MaximumRetryCount": 0 },
            "PortBindings": { "8080/tcp": [{ "HostIp": "", "HostPort": "" }] }
        },
        "Mounts": [],
        "Config": {
            "Hostname": "abcdef123456",
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.25.4"],
            "Cmd": ["nginx", "-g", "daemon off;"],
            "Healthcheck": { "Test": ["CMD-SHELL", "curl -fsS localhost:8080/health"], "Interval": 5000000000 },
            "Image": "localhost:5000/web:1.2.0",
            "Labels": {
                "${PROJECT_LABEL}": "proj",
                "${SERVICE_LABEL}": "web",
                "${NUMBER_LABEL}": "4",
                "com.docker.compose.oneoff": "False",
                "com.docker.compose.version": "2.27.0"
            },
            "StopSignal": "SIGQUIT",
            "StopTimeout": 90
        },
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": "f00dfeed0000",
            "Ports": { "8080/tcp": [{ "HostIp": "0.0.0.0", "HostPort": "49153" }] },
            "IPAddress": "",
            "MacAddress": "",
            "Networks": {
                "proj_default": {
                    "IPAMConfig": null,
                    "Links": null,
                    "Aliases": ["proj-web-4", "web", "abcdef123456"],
                    "NetworkID": "9d1c6b1e0c8f",
                    "EndpointID": "77a1c2d3e4f5",
                    "Gateway": "172.18.0.1",
                    "IPAddress": "172.18.0.5",
                    "IPPrefixLen": 16,
                    "IPv6Gateway": "",
                    "GlobalIPv6Address": "",
                    "GlobalIPv6PrefixLen": 0,
                    "MacAddress": "02:42:ac:12:00:05",
                    "DriverOpts": null
                },
                "shared-metrics": {
                    "IPAMConfig": { "IPv4Address": "10.5.0.21" },
                    "Links": null,
                    "Aliases": null,
                    "NetworkID": "4e5f6a7b8c9d",
                    "EndpointID": "88b2c3d4e5f6",
                    "Gateway": "10.5.0.1",
                    "IPAddress": "10.5.0.21",
                    "IPPrefixLen": 24,
                    "MacAddress": "02:42:0a:05:00:15",
                    "DriverOpts": null
                }
            }
        }
    },
    {
        "Id": "${DB_ID}",
        "Created": "2024-04-30T08:15:00.5Z",
        "State": {
            "Status": "exited",
            "Running": false,
            "Paused": false,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": false,
            "Pid": 0,
            "ExitCode": 137,
            "Error": "",
            "StartedAt": "2024-04-30T08:15:01Z",
            "FinishedAt": "2024-05-01T09:59:58.25Z"
        },
        "Image": "sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999",
        "Name": "/proj-db-1",
        "RestartCount": 2,
        "Config": { "Image": "postgres:16", "Labels": { "${SERVICE_LABEL}": "db" } },
        "NetworkSettings": {
            "Networks": {
                "proj_default": {
                    "Aliases": ["proj-db-1", "db", "0123456789ab"],
                    "IPAddress": "",
                    "Gateway": ""
                }
            }
        }
    }
]
`

describe('parseContainerInspect', () => {
  it('reads what the rollout needs from a container with a healthcheck', () => {
    const [web] = parseContainerInspect(INSPECT)
    expect(web).toStrictEqual({
      id: WEB_ID,
      name: 'proj-web-4',
      image: 'localhost:5000/web:1.2.0',
      imageId: IMAGE_ID,
      created: '2024-05-01T10:00:01.123456789Z',
      running: true,
      status: 'running',
      exitCode: 0,
      restartCount: 0,
      health: {
        status: 'unhealthy',
        log: [
          { exitCode: 0, output: '  % Total    % Received\nok\n' },
          {
            exitCode: 1,
            output: 'curl: (7) Failed to connect to localhost port 8080: Connection refused\n'
          }
        ]
      },
      networks: {
        proj_default: { ip: '172.18.0.5', aliases: ['proj-web-4', 'web', 'abcdef123456'] },
        'shared-metrics': { ip: '10.5.0.21', aliases: [] }
      }
    })
  })

  it('has no health key for a container without a healthcheck, and keeps its exit state', () => {
    const [, db] = parseContainerInspect(INSPECT)
    expect(db).not.toHaveProperty('health')
    expect(db).toStrictEqual({
      id: DB_ID,
      name: 'proj-db-1',
      image: 'postgres:16',
      imageId: 'sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999',
      created: '2024-04-30T08:15:00.5Z',
      running: false,
      status: 'exited',
      exitCode: 137,
      restartCount: 2,
      networks: { proj_default: { ip: '', aliases: ['proj-db-1', 'db', '0123456789ab'] } }
    })
  })

  it('reads every container in the order given', () => {
    expect(parseContainerInspect(INSPECT).map((container) => container.name)).toEqual([
      'proj-web-4',
      'proj-db-1'
    ])
    expect(parseContainerInspect('[]')).toEqual([])
  })

  it('fills what a sparse entry lacks with empty values', () => {
    expect(
      parseContainerInspect(
        JSON.stringify([
          {
            Id: 'x',
            State: { Health: { Status: 'starting' } },
            NetworkSettings: { Networks: { none: null, bridge: { Aliases: null } } }
          }
        ])
      )
    ).toStrictEqual([
      {
        id: 'x',
        name: '',
        image: '',
        imageId: '',
        created: '',
        running: false,
        status: '',
        exitCode: 0,
        restartCount: 0,
        health: { status: 'starting', log: [] },
        networks: { none: { ip: '', aliases: [] }, bridge: { ip: '', aliases: [] } }
      }
    ])
  })

  it.each([
    ['an object', '{"Id": "x"}'],
    ['null', 'null'],
    ['a string', '"Error: No such container: x"']
  ])('refuses %s instead of a list', (_name, json) => {
    expect(() => parseContainerInspect(json)).toThrow(new Error('docker inspect did not print a JSON list'))
  })

  it('lets a JSON syntax error through', () => {
    expect(() => parseContainerInspect('Error: No such container: x')).toThrow(SyntaxError)
  })
})

describe('serviceFilter', () => {
  it("selects a project's containers by Compose's label", () => {
    expect(serviceFilter('proj')).toEqual(['--filter', 'label=com.docker.compose.project=proj'])
  })

  it("selects one service's containers by both labels", () => {
    expect(serviceFilter('proj', 'web')).toEqual([
      '--filter',
      'label=com.docker.compose.project=proj',
      '--filter',
      'label=com.docker.compose.service=web'
    ])
  })
})

describe('short', () => {
  it.each([
    ['a container ID', WEB_ID, 'abcdef123456'],
    ['an image ID with its algorithm', IMAGE_ID, '5b0e8a3c9c1f'],
    ['an ID already short', 'abcdef123456', 'abcdef123456'],
    ['a shorter text', 'abc', 'abc']
  ])('%s', (_name, id, expected) => {
    expect(short(id)).toBe(expected)
  })
})
