// Markdown for the step summary.

/** Inline code that survives backticks in the text. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``
}

/** A table cell stays one cell: pipes escaped, line breaks as <br>. */
export function cell(value: string): string {
  return value.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')
}
