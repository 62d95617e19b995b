// A command written as text in an input (switch-command), split into its argument array the way
// a POSIX shell splits words: blanks separate, '...' keeps everything, "..." and \ escape. Nothing
// is expanded ($VAR, globs, ~) and no shell ever runs it.

export function splitCommandWords(text: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: "'" | '"' | undefined
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string
    if (quote === "'") {
      if (char === "'") quote = undefined
      else word += char
      continue
    }
    if (quote === '"') {
      if (char === '"') quote = undefined
      else if (char === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string))
        word += text[++i]
      else word += char
      continue
    }
    if (/\s/.test(char)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      continue
    }
    inWord = true
    if (char === "'" || char === '"') quote = char
    else if (char === '\\' && i + 1 < text.length) word += text[++i]
    else word += char
  }
  if (quote) throw new Error(`the quote ${quote} is not closed`)
  if (inWord) words.push(word)
  return words
}
