// Inputs that were renamed: the old name is still accepted for now, with a warning naming the new
// one. One row per rename, so the next rename is one more row. Every reader of inputs (the main
// step's InputFields, the post step's) reads through renamedInputReader, so the rest of the code
// only knows the new names.
import { ACTION_DEFAULTS } from './action-defaults.js'
/** Reads one input by name (fields.ts's InputReader; not imported, as fields.ts imports this). */
type InputReader = (name: string) => string

export interface RenamedInput {
  /** The name workflows used before. */
  old: string
  /** The input that now means what the old one meant. */
  now: string
  /**
   * The old input's value as the new input takes it, or undefined when the value does not have
   * the old meaning (the old name may have a new meaning of its own, as annotations has).
   */
  carry(value: string): string | undefined
}

export const RENAMED_INPUTS: readonly RenamedInput[] = [
  { old: 'docker-host', now: 'deploy-host', carry: (value) => value || undefined },
  // annotations now takes OCI annotations for the build; exactly true or false is the old switch.
  {
    old: 'annotations',
    now: 'scan-annotations',
    carry: (value) => (value === 'true' || value === 'false' ? value : undefined)
  }
]

export interface RenamedInputs {
  /** Reads every input by its new name, taking an old name's value when the new one is not set. */
  read: InputReader
  /** One per old name used: which name to use instead. */
  warnings: string[]
  /** One per rename whose old and new names are both set. */
  problems: string[]
}

export function renamedInputReader(
  given: InputReader,
  renames: readonly RenamedInput[] = RENAMED_INPUTS
): RenamedInputs {
  const warnings: string[] = []
  const problems: string[] = []
  const carried = new Map<string, string>()
  const taken = new Set<string>()
  for (const rename of renames) {
    const value = rename.carry(given(rename.old))
    if (value === undefined) continue
    taken.add(rename.old)
    // The runner passes a declared input's default when the workflow does not set it, so a new
    // input that holds its default counts as not set.
    const now = given(rename.now)
    if (now && now !== (ACTION_DEFAULTS[rename.now] ?? '')) {
      problems.push(
        `${rename.now}: ${rename.old} is set too, and it is the old name of ${rename.now}: keep only ${rename.now} (remove ${rename.old} from the workflow)`
      )
      continue
    }
    carried.set(rename.now, value)
    warnings.push(
      `${rename.old} is deprecated: rename it to ${rename.now} in the workflow (same value, same meaning); the old name will be removed in a later major version`
    )
  }
  return {
    read: (name) => {
      // An old name whose value was carried over has no meaning left under that name.
      if (taken.has(name)) return ''
      return carried.get(name) ?? given(name)
    },
    warnings,
    problems
  }
}
