// Values an image, a vulnerability DB, a registry or a program could hand the action, and what to
// look for in the Markdown they end up in.

/** Each would do something if rendered raw: a link, an image, HTML, a closed <details>, a new row. */
export const HOSTILE = {
  link: '[click](https://evil.example)',
  image: '![x](https://evil.example/x.png)',
  html: '<img src=x onerror=alert(1)>',
  details: '</details><script>alert(1)</script>',
  pipe: 'a | b',
  newline: 'first\n\n</details>\n| x | y |',
  backtick: '1`2``3',
  javascript: 'javascript:alert(1)',
  long: 'x'.repeat(5000)
} as const

/** The Markdown with every code span taken out: what is left is rendered as Markdown and HTML. */
export function outsideCodeSpans(markdown: string): string {
  return markdown.replace(/`[^`\n]*`/g, '')
}

/** The cells of a table row, split where GitHub splits them (a `\|` stays in its cell). */
export function cellsOf(row: string): string[] {
  return row
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim())
}
