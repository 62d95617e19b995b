// What the release and each step contribute to the outputs and the step summary.

export interface StepReport {
  /** Output values by output name (action.yml `outputs`). */
  outputs: Record<string, string>
  /** Rows of the summary table: name, Markdown value. */
  rows: [string, string][]
  /** Markdown list items under the table. */
  notes?: string[]
  /** Markdown blocks of their own after the notes (the scan's findings). */
  sections?: string[]
}
