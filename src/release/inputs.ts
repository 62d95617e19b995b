// The inputs every step shares through the release: the image, how it is tagged, and where and
// whether it is pushed with which credentials.
import { parseWholeNumber } from '../inputs/bounds.js'
import { parseBoolean, parseChoice, type InputFields, type InputScope } from '../inputs/fields.js'
import {
  isValidTag,
  parseImageName,
  parseImageReference,
  parseRegistry,
  type ImageName,
  type ImageReference
} from '../lib/image-name.js'
import { parseList } from '../lib/key-value.js'
import type { TagLatest } from './tags.js'
import { readSignInputs, SIGN_SECRET_INPUTS, type SignInputs } from '../sign/inputs.js'

export type PushMode = 'auto' | 'true' | 'false'

/** How tags are computed. */
export interface TagInputs {
  /** Extra tags of `image`, from the tags input. */
  extra: string[]
  /** Full references from the tags input (`ghcr.io/acme/web:1.2`), pushed as they are. */
  references: ImageReference[]
  latest: TagLatest
  sha: boolean
}

/** Where and whether to push, and the credentials for the registry input. */
export interface PublishInputs {
  /** The registry the username and password are for, normalised. */
  registry: string
  username: string
  password: string
  push: PushMode
  /** Seconds one attempt at a docker push, pull or login may take before it is stopped. */
  registryTimeout: number
}

export interface ReleaseInputs {
  image: ImageName
  tags: TagInputs
  publish: PublishInputs
  /** Signing (the push step signs) and verifying (the deploy step verifies) the image. */
  signing: SignInputs
}

/** Inputs whose whole value is a secret. */
export const RELEASE_SECRET_INPUTS = {
  whole: ['password', ...SIGN_SECRET_INPUTS.whole],
  values: []
} as const

export function readReleaseInputs(fields: InputFields, scope: InputScope): ReleaseInputs {
  const { read } = fields
  const image = fields.field('image', (raw) => parseImageName(raw), {
    registry: '',
    repository: '',
    name: ''
  })
  const tags = fields.field('tags', parseTags, { extra: [], references: [] })
  const registry = fields.field(
    'registry',
    (raw) => (raw ? parseRegistry(raw) : image.registry),
    image.registry
  )
  const username = read('username')
  const password = read('password')
  if (password && !username) fields.problem('username: is required when password is set')
  if (username && !password) fields.problem('password: is required when username is set')
  return {
    image,
    tags: {
      extra: tags.extra,
      references: tags.references,
      latest: fields.field(
        'tag-latest',
        (raw) => parseChoice(raw, ['auto', 'true', 'false'] as const),
        'auto'
      ),
      sha: fields.field('tag-sha', parseBoolean, true)
    },
    publish: {
      registry,
      username,
      password,
      push: fields.field('push', (raw) => parseChoice(raw, ['auto', 'true', 'false'] as const), 'auto'),
      registryTimeout: fields.field(
        'registry-timeout',
        (raw) => parseWholeNumber(raw, 'registry-timeout'),
        600
      )
    },
    signing: readSignInputs(fields, scope)
  }
}

/**
 * Plain tags of `image`, and full references (`ghcr.io/acme/web:1.2`, as docker/metadata-action
 * outputs them) that may name other repositories.
 */
function parseTags(raw: string): Pick<TagInputs, 'extra' | 'references'> {
  const extra: string[] = []
  const references: ImageReference[] = []
  for (const item of parseList(raw)) {
    if (item.includes('/') || item.includes(':')) {
      references.push(parseImageReference(item))
    } else if (isValidTag(item)) {
      extra.push(item)
    } else {
      throw new Error(
        `"${item}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -) nor a name:tag reference`
      )
    }
  }
  return { extra, references }
}
