// The seed's production stack, made offline for the deploy tests, the deploy benchmark and the
// demo: nginx in front of `web` (`upstream app { server web:8080; }`, resolved once at start as
// in the seed's nginx.conf), `web` a small HTTP server with a HEALTHCHECK that answers its
// version, and a load generator that sends requests through the proxy and counts every one that
// fails. Only loopback is ever addressed: the proxy is published on 127.0.0.1.
// Plain JavaScript, type-checked by tsc (checkJs).
import { execFile } from 'node:child_process'
import http from 'node:http'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/**
 * @typedef {'healthy' | 'never-healthy' | 'crashes' | 'slow-start' | 'unhealthy-where-marked'} WebBehaviour
 *   healthy: serves / and /health; never-healthy: serves / but /health is missing, so the
 *   HEALTHCHECK fails; crashes: exits with code 3 right after it starts; slow-start: serves
 *   only after 10 s (within the HEALTHCHECK's start period), a window to cause faults in;
 *   unhealthy-where-marked: healthy unless /marker/broken exists (the compose file's `marker`
 *   volume, which a test writes on one host only: one image, unhealthy on that host).
 */

/**
 * The web service's Dockerfile: busybox httpd on 8080 answering its version. busybox httpd as
 * PID 1 ignores SIGTERM, so stopping it waits for the service's stop_grace_period.
 * @param {{ baseImage: string; version: string; behaviour?: WebBehaviour; healthcheck?: boolean }} options
 */
export function webDockerfile({ baseImage, version, behaviour = 'healthy', healthcheck = true }) {
  const lines = [
    `FROM ${baseImage}`,
    `RUN mkdir -p /www && echo "${version}" > /www/index.html${behaviour === 'never-healthy' ? '' : ' && echo ok > /www/health'}`,
    'EXPOSE 8080'
  ]
  if (healthcheck) {
    // A slow starter declares its start period, as such an image should: probes failing within
    // it do not count, so it goes from starting to healthy without an unhealthy on the way.
    const startPeriod = behaviour === 'slow-start' ? ' --start-period=15s' : ''
    const marked = behaviour === 'unhealthy-where-marked' ? ' && test ! -e /marker/broken' : ''
    lines.push(
      `HEALTHCHECK --interval=1s --timeout=2s --retries=3${startPeriod} CMD wget -qO- http://127.0.0.1:8080/health${marked} || exit 1`
    )
  }
  lines.push(
    behaviour === 'crashes'
      ? 'CMD ["sh", "-c", "echo starting; echo cannot open the database >&2; exit 3"]'
      : behaviour === 'slow-start'
        ? 'CMD ["sh", "-c", "sleep 10; exec httpd -f -p 8080 -h /www"]'
        : 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]'
  )
  return `${lines.join('\n')}\n`
}

/** The seed's nginx.conf shape: one upstream named by the service, resolved at start or reload. */
export const NGINX_CONF = `worker_processes 1;
error_log /dev/stderr warn;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  upstream app {
    server web:8080;
    keepalive 32;
  }
  server {
    listen 80;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`

/**
 * The other way to put nginx in front: it resolves `web` again at most every second (Docker's
 * embedded DNS at 127.0.0.11) instead of once, so no reload is needed; a rollout then needs
 * drain-seconds of at least that second.
 */
export const NGINX_RESOLVER_CONF = `worker_processes 1;
error_log /dev/stderr warn;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  resolver 127.0.0.11 valid=1s ipv6=off;
  server {
    listen 80;
    location / {
      set $app web;
      proxy_pass http://$app:8080;
    }
  }
}
`

/**
 * The compose file: web at ${APP_VERSION} of `image`, no host port of its own, with a `marker`
 * volume when asked (see unhealthy-where-marked); nginx in front, published on `proxyBind` (127.0.0.1; ''
 * for every address of the engine's network namespace) at `proxyPort`, or an engine-chosen port
 * without one. (The engine chooses from the kernel's ephemeral range, where a busy client's own
 * source ports may take the port while dockerd restarts: a test that restarts it names a port
 * below that range.)
 * @param {{ image: string; nginxImage: string; stopGraceSeconds?: number; proxyPort?: number; proxyBind?: string; marker?: boolean }} options
 */
export function composeFile({
  image,
  nginxImage,
  stopGraceSeconds = 3,
  proxyPort,
  proxyBind = '127.0.0.1',
  marker = false
}) {
  const published = proxyBind ? `${proxyBind}:${proxyPort ?? ''}:80` : `${proxyPort}:80`
  return `services:
  web:
    image: ${image}:\${APP_VERSION}
    stop_grace_period: ${stopGraceSeconds}s${marker ? '\n    volumes:\n      - marker:/marker' : ''}
  proxy:
    image: ${nginxImage}
    volumes:
      - ./nginx.conf:/etc/nginx/nginx.conf:ro
    ports:
      - "${published}"
    stop_signal: SIGQUIT
    depends_on:
      - web
${marker ? 'volumes:\n  marker: {}\n' : ''}`
}

/**
 * A workspace's files for one release of the stack.
 * @param {{ baseImage: string; image: string; nginxImage: string; version: string; behaviour?: WebBehaviour; healthcheck?: boolean; proxy?: 'resolve-once' | 'resolver'; proxyPort?: number; proxyBind?: string; marker?: boolean }} options
 * @returns {Record<string, string>}
 */
export function stackFiles(options) {
  return {
    Dockerfile: webDockerfile(options),
    'docker-compose.yml': composeFile(options),
    'nginx.conf': options.proxy === 'resolver' ? NGINX_RESOLVER_CONF : NGINX_CONF
  }
}

/**
 * `docker ps` filters for one service of a project, by the labels Compose v1 and v2 both set.
 * @param {string} project
 * @param {string} service
 */
function serviceFilter(project, service) {
  return [
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    `label=com.docker.compose.service=${service}`
  ]
}

/**
 * The proxy's address on 127.0.0.1, from the engine's port mapping.
 * @param {string} project
 * @param {NodeJS.ProcessEnv} [env]  the docker CLI's environment (DOCKER_HOST etc.)
 * @returns {Promise<string>} e.g. http://127.0.0.1:49153
 */
export async function proxyUrl(project, env = process.env) {
  const { stdout: ids } = await execFileAsync('docker', ['ps', '-q', ...serviceFilter(project, 'proxy')], {
    env
  })
  const id = ids.trim().split('\n')[0]
  if (!id) throw new Error(`no proxy container runs in project ${project}`)
  const { stdout } = await execFileAsync('docker', ['port', id, '80/tcp'], { env })
  const address = stdout.split('\n').find((line) => line.startsWith('127.0.0.1:'))
  if (!address) throw new Error(`the proxy of ${project} is not published on 127.0.0.1: ${stdout}`)
  return `http://${address.trim()}`
}

/**
 * @typedef {object} LoadReport
 * @property {number} total  requests sent
 * @property {number} failed  requests that did not get a 200
 * @property {Record<string, number>} failures  by reason (status code or error)
 * @property {Record<string, number>} versions  200 answers by body
 * @property {string} lastVersion  the body of the last 200 answer
 * @property {number} seconds
 * @property {{ start: number; end: number }[]} failedDuring  when each failed request was under
 *   way (Date.now() times; the first 10,000)
 */

/**
 * Sends requests through the proxy from `concurrency` loops, each request on a new connection
 * (as many clients do), until stopped.
 * @param {string} url
 * @param {{ concurrency?: number }} [options]
 * @returns {{ stop: () => Promise<LoadReport> }}
 */
export function startLoad(url, { concurrency = 4 } = {}) {
  /** @type {LoadReport} */
  const report = {
    total: 0,
    failed: 0,
    failures: {},
    versions: {},
    lastVersion: '',
    seconds: 0,
    failedDuring: []
  }
  const started = Date.now()
  let running = true
  /**
   * @param {string} reason
   * @param {number} [start]  when the request began
   */
  const fail = (reason, start = Date.now()) => {
    report.failed++
    report.failures[reason] = (report.failures[reason] ?? 0) + 1
    if (report.failedDuring.length < 10_000) report.failedDuring.push({ start, end: Date.now() })
  }
  const once = () =>
    new Promise((resolve) => {
      const start = Date.now()
      const request = http.get(url, { agent: false, timeout: 10_000 }, (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (body += chunk))
        response.on('end', () => {
          report.total++
          if (response.statusCode === 200) {
            const version = body.trim()
            report.versions[version] = (report.versions[version] ?? 0) + 1
            report.lastVersion = version
          } else {
            fail(`HTTP ${response.statusCode}`, start)
          }
          resolve(undefined)
        })
        response.on('error', (error) => {
          report.total++
          fail(error.message, start)
          resolve(undefined)
        })
      })
      request.on('timeout', () => request.destroy(new Error('timeout')))
      request.on('error', (error) => {
        report.total++
        fail(/** @type {NodeJS.ErrnoException} */ (error).code ?? error.message, start)
        resolve(undefined)
      })
    })
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) await once()
  })
  return {
    stop: async () => {
      running = false
      await Promise.all(loops)
      report.seconds = (Date.now() - started) / 1000
      return report
    }
  }
}

/**
 * Samples how many containers of a service are running and healthy, until stopped: the lowest
 * count seen is what the rollout left serving at its worst moment.
 * @param {string} project
 * @param {string} service
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ stop: () => Promise<{ min: number; max: number; samples: number; unanswered: number }> }}
 */
export function sampleHealthy(project, service, env = process.env) {
  const seen = { min: Number.POSITIVE_INFINITY, max: 0, samples: 0, unanswered: 0 }
  let running = true
  const loop = (async () => {
    while (running) {
      // While the engine itself does not answer (a test restarts it), there is nothing to count.
      const answer = await execFileAsync(
        'docker',
        ['ps', '-q', ...serviceFilter(project, service), '--filter', 'health=healthy'],
        { env }
      ).catch(() => undefined)
      if (answer) {
        const count = answer.stdout.split('\n').filter(Boolean).length
        seen.min = Math.min(seen.min, count)
        seen.max = Math.max(seen.max, count)
        seen.samples++
      } else seen.unanswered++
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return seen
    }
  }
}

/**
 * Removes every container and network of a project (the test's own, by label).
 * @param {string} project
 * @param {NodeJS.ProcessEnv} [env]
 */
export async function removeProject(project, env = process.env) {
  const { stdout } = await execFileAsync(
    'docker',
    ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`],
    {
      env
    }
  )
  const ids = stdout.split('\n').filter(Boolean)
  if (ids.length > 0) await execFileAsync('docker', ['rm', '-f', ...ids], { env })
  const { stdout: networks } = await execFileAsync(
    'docker',
    ['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`],
    { env }
  )
  const networkIds = networks.split('\n').filter(Boolean)
  if (networkIds.length > 0)
    await execFileAsync('docker', ['network', 'rm', ...networkIds], { env }).catch(() => undefined)
  await execFileAsync('docker', ['rm', '-f', `container-ship-lock-${project}`], { env }).catch(
    () => undefined
  )
  const { stdout: volumes } = await execFileAsync(
    'docker',
    ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`],
    { env }
  )
  const volumeNames = volumes.split('\n').filter(Boolean)
  if (volumeNames.length > 0)
    await execFileAsync('docker', ['volume', 'rm', ...volumeNames], { env }).catch(() => undefined)
}
