// The `.env` file Compose reads from the project folder (the first compose file's folder) for
// interpolation, below the process environment in precedence. The subset of compose-go's dotenv
// format that such files use: KEY=VALUE lines, `export ` prefixes, # comments, blank lines,
// single quotes (literal), double quotes (\n, \t, \", \\ escapes), and unquoted values with an
// inline comment after whitespace.

export function parseDotenv(text: string, file = '.env'): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  lines.forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line)
    if (!match) throw new Error(`${file}: line ${index + 1} is not KEY=VALUE`)
    values[match[1] as string] = dotenvValue(match[2] as string, `${file}: line ${index + 1}`)
  })
  return values
}

function dotenvValue(text: string, where: string): string {
  if (text.startsWith("'")) {
    const end = text.indexOf("'", 1)
    if (end < 0) throw new Error(`${where}: the quote ' is not closed`)
    return text.slice(1, end)
  }
  if (text.startsWith('"')) {
    let value = ''
    for (let i = 1; i < text.length; i++) {
      const char = text[i] as string
      if (char === '"') return value
      if (char === '\\' && i + 1 < text.length) {
        const next = text[++i] as string
        value += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next
      } else {
        value += char
      }
    }
    throw new Error(`${where}: the quote " is not closed`)
  }
  return text.replace(/\s+#.*$/, '').trim()
}
