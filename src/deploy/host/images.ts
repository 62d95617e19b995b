// The deploy host's images, as its engine knows them.
import type { DockerCli } from '../../docker/cli.js'

/** The ID of `image` on the host at `url`; throws when the host does not have it. */
export async function imageIdOn(docker: DockerCli, image: string, url: string): Promise<string> {
  const inspected = await docker.run(['image', 'inspect', '--format', '{{.Id}}', image], {
    quiet: true,
    allowFailure: true
  })
  if (inspected.exitCode !== 0) {
    throw new Error(`the image ${image} is not on ${url}: ${inspected.stderr.trim()}`)
  }
  return inspected.stdout.trim()
}
