// The files cosign reads secrets from (the private key, the derived public key, the OIDC token,
// the predicate) go in a private folder under the runner's temp folder, never the workspace:
// 0700, each file 0600, removed when the signing or verifying is done, and saved for the post
// step, which removes it when a cancelled run never got that far.
import { chmodSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { makeWorkDir } from '../run/work-dirs.js'

export interface PrivateFolder {
  readonly dir: string
  /** Writes `text` to `name` in the folder, 0600; returns its path. */
  write(name: string, text: string): string
  remove(): void
}

export function privateFolder(tempRoot: string): PrivateFolder {
  const dir = makeWorkDir(tempRoot, 'container-ship-sign-')
  chmodSync(dir, 0o700)
  return {
    dir,
    write(name, text) {
      const file = path.join(dir, name)
      writeFileSync(file, text, { mode: 0o600 })
      return file
    },
    remove() {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Runs `work` with a private folder that is removed afterwards, however `work` ends. */
export async function withPrivateFolder<T>(
  tempRoot: string,
  work: (folder: PrivateFolder) => Promise<T>
): Promise<T> {
  const folder = privateFolder(tempRoot)
  try {
    return await work(folder)
  } finally {
    folder.remove()
  }
}

/** PEM text as tools read it: LF line ends and a final newline. */
export function pemFile(text: string): string {
  const normalized = text.replace(/\r\n/g, '\n').trim()
  return `${normalized}\n`
}
