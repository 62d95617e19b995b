// The annotations input: OCI annotations for the build, one a line, as docker/build-push-action
// takes them (and docker/metadata-action's annotations output gives them): key=value, or
// type:key=value with the types buildx knows, several comma separated, optionally a platform
// in brackets. Each line becomes one `--annotation` of docker buildx build; checked here so a
// slip fails before anything runs rather than as a buildx error after the login.

/** Where buildx puts an annotation (docker buildx build --annotation). */
export const ANNOTATION_TYPES = ['manifest', 'index', 'manifest-descriptor', 'index-descriptor'] as const

const LEVEL = /^([a-z-]+(?:,[a-z-]+)*)(\[[A-Za-z0-9_./,-]+\])?$/
const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/

/** The lines, each as buildx's --annotation value; throws naming the line and what it should be. */
export function parseAnnotations(raw: string): string[] {
  const annotations: string[] = []
  raw.split(/\r?\n/).forEach((text, index) => {
    const line = text.trim()
    if (!line) return
    const where = `line ${index + 1}`
    const equals = line.indexOf('=')
    if (equals <= 0)
      throw new Error(
        `${where} "${line}" is not key=value or type:key=value (e.g. manifest:org.opencontainers.image.title=web)`
      )
    const name = line.slice(0, equals)
    const colon = name.lastIndexOf(':')
    const key = colon < 0 ? name : name.slice(colon + 1)
    if (colon >= 0) {
      const level = LEVEL.exec(name.slice(0, colon))
      const types = level?.[1]?.split(',') ?? []
      const unknown = types.find((type) => !(ANNOTATION_TYPES as readonly string[]).includes(type))
      if (!level || unknown !== undefined)
        throw new Error(
          `${where}: "${name.slice(0, colon)}" is not an annotation type; use ${ANNOTATION_TYPES.join(', ')} (several comma separated, a platform in brackets: manifest[linux/amd64]:key=value)`
        )
    }
    if (!KEY.test(key))
      throw new Error(
        `${where}: "${key}" is not an annotation key (letters, digits, . _ / -, e.g. org.opencontainers.image.title)`
      )
    annotations.push(line)
  })
  return annotations
}
