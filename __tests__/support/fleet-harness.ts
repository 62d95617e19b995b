// What the tests of deploys to several hosts share: the test bed's three extra engines
// (scripts/engines-bed.sh), each an ssh:// deploy host in a network namespace of its own, its
// proxy published on its namespace's address, so that the load reaches every host as a load
// balancer in front of them would.
import { readFileSync } from 'node:fs'
import { removeProject, startLoad, type LoadReport } from '../../scripts/deploy-stack.mjs'
import type { ActionRun, TestbedEngine } from './harness.js'
import { docker, serviceContainers, tb, type Observed } from './deploy-harness.js'

/** The proxy's port on every engine (its own namespace: the same port on each). */
export const FLEET_PROXY_PORT = 17080

/** The docker CLI's environment for one engine. */
export function engineEnv(engine: TestbedEngine): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: engine.socket }
}

/** The inputs that name the engines as deploy hosts over ssh://, one a line. */
export function fleetInputs(engines: TestbedEngine[] = tb.engines): Record<string, string> {
  return {
    'docker-host': engines.map((engine) => engine.sshHost).join('\n'),
    'ssh-private-key': readFileSync(tb.sshKeyFile, 'utf8'),
    'ssh-known-hosts': readFileSync(tb.enginesKnownHostsFile, 'utf8')
  }
}

/** The release options that put the stack's proxy on each engine's address. */
export const FLEET_STACK = {
  proxyBind: '',
  proxyPort: FLEET_PROXY_PORT,
  nginxImage: '',
  marker: true
}

/** FLEET_STACK with the engines' nginx image (known once the bed is read). */
export function fleetStack(): typeof FLEET_STACK {
  return { ...FLEET_STACK, nginxImage: tb.enginesNginxImage }
}

/** The service's containers on one engine. */
export function containersOn(engine: TestbedEngine, project: string): Promise<Observed[]> {
  return serviceContainers(project, 'web', engineEnv(engine))
}

/** What the engine's proxy answers now: the version serving there. */
export async function servingOn(engine: TestbedEngine): Promise<string> {
  const response = await fetch(`http://${engine.address}:${FLEET_PROXY_PORT}/`)
  return (await response.text()).trim()
}

/** Whether the project's deploy lock is on the engine. */
export async function lockOn(engine: TestbedEngine, project: string): Promise<boolean> {
  const found = await docker(
    ['ps', '-aq', '--filter', `name=^container-ship-lock-${project}$`],
    engineEnv(engine)
  )
  return found !== ''
}

/** Makes the web service unhealthy on one engine from its next release (unhealthy-where-marked). */
export async function markBroken(engine: TestbedEngine, project: string, broken: boolean): Promise<void> {
  await docker(
    [
      'run',
      '--rm',
      '-v',
      `${project}_marker:/marker`,
      tb.enginesBaseImage,
      'sh',
      '-c',
      broken ? 'touch /marker/broken' : 'rm -f /marker/broken'
    ],
    engineEnv(engine)
  )
}

/** The sum of loads sent to each engine's proxy. */
export interface FleetLoad {
  total: number
  failed: number
  failures: Record<string, number>
  /** Each engine's load. */
  perHost: LoadReport[]
}

/** Runs `during` with a load on every engine's proxy, as a load balancer in front of them spreads it. */
export async function underFleetLoad(
  during: () => Promise<ActionRun>,
  engines: TestbedEngine[] = tb.engines
): Promise<{ run: ActionRun; load: FleetLoad }> {
  const loads = engines.map((engine) =>
    startLoad(`http://${engine.address}:${FLEET_PROXY_PORT}`, { concurrency: 2 })
  )
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const run = await during()
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const perHost = await Promise.all(loads.map((load) => load.stop()))
  const failures: Record<string, number> = {}
  for (const report of perHost)
    for (const [reason, count] of Object.entries(report.failures))
      failures[reason] = (failures[reason] ?? 0) + count
  return {
    run,
    load: {
      total: perHost.reduce((sum, report) => sum + report.total, 0),
      failed: perHost.reduce((sum, report) => sum + report.failed, 0),
      failures,
      perHost
    }
  }
}

/** Removes the project from every engine. */
export async function removeFromEngines(project: string): Promise<void> {
  for (const engine of tb.engines) await removeProject(project, engineEnv(engine)).catch(() => undefined)
}
