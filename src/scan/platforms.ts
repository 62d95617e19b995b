// An image of several platforms is scanned one platform at a time (Trivy reads one image from a
// layout, whatever --platform says). The gate then judges the findings of all of them together:
// a finding on several platforms counts once, and one found on some platforms only says which.
import type { Finding } from './trivy/findings.js'
import type { LayerMap } from './dockerfile-map.js'

export interface PlatformScan {
  platform: string
  findings: Finding[]
}

/** What makes two platforms' findings the same finding (layers differ between platforms). */
function identity(finding: Finding): string {
  return JSON.stringify([
    finding.kind,
    finding.id,
    finding.target,
    finding.resultClass,
    finding.pkgName,
    finding.pkgPath,
    finding.pkgVersion,
    finding.lines?.start ?? 0,
    finding.lines?.end ?? 0
  ])
}

/**
 * The findings of every platform, each once, in the order first seen; one that is not on every
 * platform names the platforms it is on. One platform's findings are returned as they are.
 */
export function mergePlatformFindings(scans: readonly PlatformScan[]): Finding[] {
  if (scans.length === 1) return scans[0]?.findings ?? []
  const merged = new Map<string, { finding: Finding; platforms: Set<string> }>()
  for (const { platform, findings } of scans) {
    for (const finding of findings) {
      const key = identity(finding)
      const entry = merged.get(key) ?? { finding, platforms: new Set<string>() }
      entry.platforms.add(platform)
      merged.set(key, entry)
    }
  }
  return [...merged.values()].map(({ finding, platforms }) =>
    platforms.size === scans.length ? finding : { ...finding, platforms: [...platforms].sort() }
  )
}

/**
 * One map from every platform's layers to the Dockerfile's lines (a layer's DiffID is its content's
 * hash, so the platforms' layers never collide); reliable only when each platform's map is.
 */
export function mergeLayerMaps(maps: readonly { platform: string; map: LayerMap }[]): LayerMap {
  const byDiffId = new Map(maps.flatMap(({ map }) => [...map.byDiffId]))
  const unreliable = maps.find(({ map }) => !map.reliable)
  if (!unreliable) return { reliable: true, byDiffId }
  const reason = maps.length > 1 ? `${unreliable.map.reason} (${unreliable.platform})` : unreliable.map.reason
  return { reliable: false, reason, byDiffId: new Map() }
}

/** ` (linux/arm64 only)`, for a finding not on every platform; '' otherwise. */
export function platformNote(finding: Pick<Finding, 'platforms'>): string {
  return finding.platforms ? ` (${finding.platforms.join(', ')} only)` : ''
}
