import { describe, expect, it } from '@jest/globals'
import { splitCommandWords } from '../../../src/lib/command-words.js'

describe('splitCommandWords', () => {
  it.each([
    ['one word', 'nginx', ['nginx']],
    ['blanks between words', 'nginx -s reload', ['nginx', '-s', 'reload']],
    ['runs of spaces, tabs and newlines', '  nginx\t -s \n reload  ', ['nginx', '-s', 'reload']],
    ['nothing', '', []],
    ['only blanks', ' \t\n ', []]
  ])('splits on blanks: %s', (_name, text, words) => {
    expect(splitCommandWords(text)).toEqual(words)
  })

  it.each([
    ['blanks inside', "sh -c 'kill -HUP 1'", ['sh', '-c', 'kill -HUP 1']],
    ['a double quote and a backslash', `echo 'say "hi" \\n'`, ['echo', 'say "hi" \\n']],
    ['a dollar and a backtick', "echo '$HOME `id`'", ['echo', '$HOME `id`']],
    ['joined to the text around', "pre'fix mid'post", ['prefix midpost']]
  ])('keeps everything inside single quotes: %s', (_name, text, words) => {
    expect(splitCommandWords(text)).toEqual(words)
  })

  it.each([
    ['blanks and a single quote inside', `echo "it's  here"`, ['echo', "it's  here"]],
    ['\\" is a double quote', 'echo "say \\"hi\\""', ['echo', 'say "hi"']],
    ['\\\\ is one backslash', 'echo "a\\\\b"', ['echo', 'a\\b']],
    ['\\$ is a dollar', 'echo "\\$HOME"', ['echo', '$HOME']],
    ['\\` is a backtick', 'echo "\\`id\\`"', ['echo', '`id`']],
    ['a backslash before anything else stays', 'echo "a\\nb\\ c"', ['echo', 'a\\nb\\ c']]
  ])('double quotes: %s', (_name, text, words) => {
    expect(splitCommandWords(text)).toEqual(words)
  })

  it.each([
    ['escapes a blank', 'cat my\\ file', ['cat', 'my file']],
    ['escapes a quote', "echo it\\'s", ['echo', "it's"]],
    ['escapes a double quote', 'echo \\"x\\"', ['echo', '"x"']],
    ['escapes a backslash', 'echo a\\\\b', ['echo', 'a\\b']],
    ['escapes an ordinary character to itself', 'echo \\n', ['echo', 'n']],
    ['alone at the end stays', 'echo a\\', ['echo', 'a\\']]
  ])('a backslash outside quotes %s', (_name, text, words) => {
    expect(splitCommandWords(text)).toEqual(words)
  })

  it.each([
    ["''", "printf '' x", ['printf', '', 'x']],
    ['""', 'printf "" x', ['printf', '', 'x']],
    ['at the end', "cmd ''", ['cmd', '']],
    ['alone', '""', ['']]
  ])('an empty quoted word %s is an empty argument', (_name, text, words) => {
    expect(splitCommandWords(text)).toEqual(words)
  })

  it('expands nothing: variables, globs and ~ stay literal', () => {
    expect(splitCommandWords('ls $HOME ${PATH} * ~ ~/x "$HOME" `id` $(id) a;b c|d')).toEqual([
      'ls',
      '$HOME',
      '${PATH}',
      '*',
      '~',
      '~/x',
      '$HOME',
      '`id`',
      '$(id)',
      'a;b',
      'c|d'
    ])
  })

  it('splits a real switch-command', () => {
    expect(splitCommandWords(`nginx -s reload -g "pid /run/nginx.pid;" -c '/etc/nginx/my conf'`)).toEqual([
      'nginx',
      '-s',
      'reload',
      '-g',
      'pid /run/nginx.pid;',
      '-c',
      '/etc/nginx/my conf'
    ])
  })

  it.each([
    ['a single quote', "sh -c 'kill -HUP 1", "the quote ' is not closed"],
    ['a double quote', 'echo "hello', 'the quote " is not closed'],
    ['a quote escaped inside double quotes', 'echo "a\\"', 'the quote " is not closed'],
    ['a lone single quote', "'", "the quote ' is not closed"],
    ['a double quote ending in a backslash', 'echo "a\\', 'the quote " is not closed']
  ])('refuses an unclosed %s', (_name, text, message) => {
    expect(() => splitCommandWords(text)).toThrow(new Error(message))
  })
})
