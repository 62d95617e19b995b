// The remote engine a deploy talks to: ssh://user@host[:port], tcp://host:port, unix:///path.
export type DockerHost =
  | { scheme: 'ssh'; url: string; user?: string; host: string; port?: number }
  | { scheme: 'tcp'; url: string; host: string; port: number }
  | { scheme: 'unix'; url: string; path: string }

const HOST = '(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)'
const SSH_RE = new RegExp(`^ssh://(?:([A-Za-z0-9._-]+)@)?${HOST}(?::(\\d+))?/?$`)
const TCP_RE = new RegExp(`^tcp://${HOST}:(\\d+)/?$`)

export function parseDockerHost(text: string): DockerHost {
  const url = text.trim()
  let match = SSH_RE.exec(url)
  if (match) {
    const port = match[3] === undefined ? undefined : parsePort(match[3])
    return {
      scheme: 'ssh',
      url,
      user: match[1],
      host: match[2] as string,
      ...(port === undefined ? {} : { port })
    }
  }
  match = TCP_RE.exec(url)
  if (match) return { scheme: 'tcp', url, host: match[1] as string, port: parsePort(match[2] as string) }
  if (url.startsWith('unix:///') && !/\s/.test(url))
    return { scheme: 'unix', url, path: url.slice('unix://'.length) }
  throw new Error(`"${url}" is not ssh://user@host[:port], tcp://host:port or unix:///path`)
}

function parsePort(text: string): number {
  const port = Number(text)
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`port ${text} is not between 1 and 65535`)
  return port
}

/**
 * The deploy-host input: one host a line (blank lines and surrounding spaces ignored), each named
 * once. The order is the user's: batches follow it.
 */
export function parseDockerHosts(text: string): DockerHost[] {
  const hosts: DockerHost[] = []
  const problems: string[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const host = parseDockerHost(line)
      if (hosts.some((seen) => seen.url === host.url)) problems.push(`${host.url} is named twice`)
      else hosts.push(host)
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (problems.length > 0) throw new Error(problems.join('; '))
  return hosts
}
