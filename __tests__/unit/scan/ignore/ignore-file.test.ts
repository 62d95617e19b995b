import { describe, expect, it, test } from '@jest/globals'
import { finding as neutralFinding } from '../../../../__fixtures__/findings.js'
import { matchGlob, validGlob } from '../../../../src/scan/ignore/glob.js'
import { parsePurl, purlMatches } from '../../../../src/scan/ignore/purl.js'
import {
  expiredIgnoreRule,
  isExpired,
  isIgnored,
  matchIgnoreRule,
  parseIgnoreFile,
  parsePlainIgnore,
  parseYamlIgnore,
  type IgnoreRule
} from '../../../../src/scan/ignore/ignore-file.js'
import type { Finding } from '../../../../src/scan/trivy/findings.js'

const finding = (over: Partial<Finding>): Finding =>
  neutralFinding({
    id: 'CVE-2019-0001',
    severity: 'LOW',
    target: '',
    resultClass: '',
    pkgName: '',
    pkgVersion: '',
    fixedVersion: '',
    ...over
  })
const at = (iso: string): Date => new Date(iso)
const NOW = at('2025-03-01T12:00:00Z')

// aquasecurity/trivy v0.74.0 pkg/result/testdata/.trivyignore, as Trivy's own tests read it.
const TRIVY_PLAIN = [
  '# vulnerabilities',
  'CVE-2019-0001',
  'CVE-2019-0002',
  'CVE-2019-0004 exp:2020-01-01',
  'CVE-2019-0005 exp:9999-01-01',
  'CVE-2019-0006 exp:9999-01-01 key2:value2',
  '',
  '# misconfigurations',
  'ID300',
  '## alias',
  'AVD-ID400',
  '',
  '# secrets',
  'generic-unwanted-rule',
  '',
  '# license',
  'GPL-3.0'
].join('\n')

// aquasecurity/trivy v0.74.0 pkg/result/testdata/.trivyignore.yaml.
const TRIVY_YAML = `vulnerabilities:
  - id: CVE-2019-0001
    paths:
      - "**/*-lock.json"
  - id: CVE-2019-0002
    paths:
      - "bar/package.json"
  - id: CVE-2019-0003
  - id: CVE-2019-0004
    paths:
      - "bar/package.json"
  - id: CVE-2019-0005
    expired_at: 2023-01-01
  - id: CVE-2019-0006
    expired_at: 2020-01-01
  - id: CVE-2019-0007
    purls:
      - "pkg:golang/github.com/aquasecurity/aaa@9.9.9"
      - "pkg:golang/github.com/aquasecurity/bar" # Match

misconfigurations:
  - id: ID100
  - id: ID200
    paths:
      - "app/Dockerfile"
  - id: ID300
    paths:
      - "docs/Dockerfile"
  - id: AVD-ID400 # alias
secrets:
  - id: generic-unwanted-rule
  - id: generic-unwanted-rule2
    paths:
      - "**/config.yaml"
  - id: generic-wanted-rule
    paths:
      - "foo/secret.txt"
licenses:
  - id: GPL-3.0
    paths:
      - "usr/share/gcc/python/libstdcxx/v6/__init__.py"
  - id: MIT
  - id: GPL-2.0-or-later
  - id: Apache-2.0 WITH LLVM-exception
  - id: LLVM-exception
`

/** Trivy's filter tests run at this instant (pkg/result/filter_test.go). */
const TRIVY_TEST_NOW = at('2020-08-10T07:28:17Z')
const live = (rules: IgnoreRule[], kind: Finding['kind'], now: Date): string[] =>
  rules.filter((rule) => rule.kinds.includes(kind) && !isExpired(rule, now)).map((rule) => rule.id)

describe('the plain .trivyignore', () => {
  it("reads Trivy's own test file: every ID for every kind, expired lines pruned", () => {
    const rules = parsePlainIgnore(TRIVY_PLAIN)
    expect(rules.map((rule) => [rule.id, rule.line, rule.expiresAt?.toISOString()])).toEqual([
      ['CVE-2019-0001', 2, undefined],
      ['CVE-2019-0002', 3, undefined],
      ['CVE-2019-0004', 4, '2020-01-01T00:00:00.000Z'],
      ['CVE-2019-0005', 5, '9999-01-01T00:00:00.000Z'],
      ['CVE-2019-0006', 6, '9999-01-01T00:00:00.000Z'],
      ['ID300', 9, undefined],
      ['AVD-ID400', 11, undefined],
      ['generic-unwanted-rule', 14, undefined],
      ['GPL-3.0', 17, undefined]
    ])
    // Trivy's TestParseIgnoreFile: 8 of each kind once the expired line is pruned.
    for (const kind of ['vulnerability', 'misconfiguration', 'secret', 'license'] as const) {
      expect(live(rules, kind, NOW)).toHaveLength(8)
    }
    expect(rules[0]).toEqual({
      kinds: ['vulnerability', 'secret', 'misconfiguration', 'license'],
      id: 'CVE-2019-0001',
      paths: [],
      purls: [],
      expiresAt: undefined,
      statement: '',
      file: '.trivyignore',
      line: 2
    })
  })

  it('reads Windows line ends and indented lines, and takes the first exp: field, wherever it is', () => {
    const rules = parsePlainIgnore(
      '  CVE-1\r\nCVE-2 reason exp:2024-06-01 exp:bad\r\nexp:2024-01-01 CVE-3\r\n'
    )
    expect(rules.map((rule) => [rule.id, rule.expiresAt?.toISOString()])).toEqual([
      ['CVE-1', undefined],
      ['CVE-2', '2024-06-01T00:00:00.000Z'],
      ['exp:2024-01-01', '2024-01-01T00:00:00.000Z']
    ])
  })

  it('reads any line as an ID, as Trivy does', () => {
    expect(parsePlainIgnore('this file is not a valid trivyignore file').map((rule) => rule.id)).toEqual([
      'this'
    ])
  })

  test.each([
    ['a month out of range', 'exp:2024-13-01'],
    ['a day the month does not have', 'exp:2023-02-29'],
    ['a month without its zero', 'exp:2024-6-01'],
    ['no date', 'exp:'],
    ['a word', 'exp:tomorrow'],
    ['a time', 'exp:2024-06-01T00:00:00Z']
  ])('refuses an expiry with %s, naming the line (Trivy would drop the line)', (_name, expiry) => {
    expect(() => parsePlainIgnore(`CVE-1\n# note\nCVE-2 ${expiry}\n`, 'ci/.trivyignore')).toThrow(
      new Error(`ci/.trivyignore line 3: "${expiry}" is not an expiry date exp:YYYY-MM-DD`)
    )
  })

  it('accepts 29 February of a leap year', () => {
    expect(parsePlainIgnore('CVE-1 exp:2024-02-29')[0]?.expiresAt?.toISOString()).toBe(
      '2024-02-29T00:00:00.000Z'
    )
  })
})

describe('the file format, chosen from the name as Trivy does', () => {
  test.each([
    ['.trivyignore', 'plain'],
    ['.trivyignore.yaml', 'yaml'],
    ['config/ignore.yml', 'yaml'],
    ['ignore.YAML', 'plain'],
    ['trivyignore.txt', 'plain'],
    ['dir.yaml/trivyignore', 'plain']
  ])('%s is read as %s', (file, format) => {
    const text = 'secrets:\n  - id: aws-access-key-id\n'
    const rules = parseIgnoreFile(file, text)
    expect(rules.map((rule) => rule.id)).toEqual(
      format === 'yaml' ? ['aws-access-key-id'] : ['secrets:', '-']
    )
    expect(rules[0]?.file).toBe(file)
  })
})

describe('the YAML .trivyignore.yaml', () => {
  it("reads Trivy's own test file: each list for its kind", () => {
    const rules = parseYamlIgnore(TRIVY_YAML)
    // Trivy's TestParseIgnoreFile: 5, 4, 3 and 5 once expired entries are pruned.
    expect(live(rules, 'vulnerability', NOW)).toEqual([
      'CVE-2019-0001',
      'CVE-2019-0002',
      'CVE-2019-0003',
      'CVE-2019-0004',
      'CVE-2019-0007'
    ])
    expect(live(rules, 'misconfiguration', NOW)).toEqual(['ID100', 'ID200', 'ID300', 'AVD-ID400'])
    expect(live(rules, 'secret', NOW)).toEqual([
      'generic-unwanted-rule',
      'generic-unwanted-rule2',
      'generic-wanted-rule'
    ])
    expect(live(rules, 'license', NOW)).toHaveLength(5)
    expect(rules.find((rule) => rule.id === 'CVE-2019-0007')).toEqual({
      kinds: ['vulnerability'],
      id: 'CVE-2019-0007',
      paths: [],
      purls: [
        {
          type: 'golang',
          namespace: 'github.com/aquasecurity',
          name: 'aaa',
          version: '9.9.9',
          qualifiers: {},
          subpath: ''
        },
        {
          type: 'golang',
          namespace: 'github.com/aquasecurity',
          name: 'bar',
          version: '',
          qualifiers: {},
          subpath: ''
        }
      ],
      statement: '',
      file: '.trivyignore.yaml',
      line: 16
    })
  })

  it('keeps the statement, and reads an empty file or one of comments as no rules', () => {
    const rules = parseYamlIgnore('vulnerabilities:\n  - id: CVE-1\n    statement: Accept the risk\n')
    expect(rules[0]).toMatchObject({ id: 'CVE-1', statement: 'Accept the risk', line: 2 })
    expect(parseYamlIgnore('')).toEqual([])
    expect(parseYamlIgnore('# nothing ignored yet\n')).toEqual([])
    expect(parseYamlIgnore('vulnerabilities:\nsecrets: []\n')).toEqual([])
  })

  test.each([
    ['a date', '2024-06-01', '2024-06-01T00:00:00.000Z'],
    ['a date with one-digit fields', '2024-6-1', '2024-06-01T00:00:00.000Z'],
    ['a time with an offset', '2024-06-01T10:00:00+02:00', '2024-06-01T08:00:00.000Z'],
    ['a time with a fraction', '2024-06-01T10:00:00.5Z', '2024-06-01T10:00:00.500Z'],
    ['a time with a space, in UTC', '2024-06-01 10:00:00', '2024-06-01T10:00:00.000Z'],
    ['a quoted RFC 3339 time', '"2024-06-01T10:00:00Z"', '2024-06-01T10:00:00.000Z'],
    ['a date tagged as a timestamp', '!!timestamp "2024-06-01"', '2024-06-01T00:00:00.000Z'],
    ['nothing', '', undefined],
    ['null', '~', undefined]
  ])('reads expired_at given as %s, as yaml.v3 decodes it', (_name, value, expected) => {
    const rules = parseYamlIgnore(`secrets:\n  - id: x\n    expired_at: ${value}\n`)
    expect(rules[0]?.expiresAt?.toISOString()).toBe(expected)
  })

  test.each([
    [
      'a quoted date, which Trivy refuses too',
      'vulnerabilities:\n  - id: CVE-1\n    expired_at: "2024-06-01"\n',
      'line 3: expired_at "2024-06-01" is quoted: Trivy reads a quoted value as an RFC 3339 time (2006-01-02T15:04:05Z); write the date without quotes'
    ],
    [
      'a day the month does not have',
      'vulnerabilities:\n  - id: CVE-1\n    expired_at: 2023-02-29\n',
      'line 3: expired_at "2023-02-29" is not a date (YYYY-MM-DD) or an RFC 3339 time'
    ],
    [
      'a time without a zone',
      'vulnerabilities:\n  - id: CVE-1\n    expired_at: 2024-06-01T10:00:00\n',
      'line 3: expired_at "2024-06-01T10:00:00" is not a date (YYYY-MM-DD) or an RFC 3339 time'
    ],
    [
      'a number',
      'vulnerabilities:\n  - id: CVE-1\n    expired_at: 20240601\n',
      'line 3: expired_at "20240601" is not a date (YYYY-MM-DD) or an RFC 3339 time'
    ],
    [
      'text that is not a mapping',
      'this file is not a yaml file',
      'line 1: the file must be a mapping of vulnerabilities, misconfigurations, secrets and licenses'
    ],
    [
      'a misspelt list',
      'secrets:\n  - id: a\nvulnerability:\n  - id: CVE-1\n',
      'line 3: unknown key "vulnerability" (expected vulnerabilities, misconfigurations, secrets, licenses)'
    ],
    ['a list that is text', 'secrets: generic-rule\n', 'line 1: secrets must be a list of entries'],
    [
      'an entry that is text',
      'secrets:\n  - id: a\n  - generic-rule\n',
      'line 3: each entry of secrets must be a mapping with an id'
    ],
    [
      'an entry without an id',
      'vulnerabilities:\n  - paths: ["a"]\n',
      'line 2: an entry of vulnerabilities has no id'
    ],
    ['an empty id', 'vulnerabilities:\n  - id: ""\n', 'line 2: an entry of vulnerabilities has no id'],
    [
      'a misspelt expiry, which Trivy would ignore and so ignore the finding forever',
      'vulnerabilities:\n  - id: CVE-1\n    expires_at: 2024-06-01\n',
      'line 3: unknown key "expires_at" in an entry of vulnerabilities (expected id, paths, purls, expired_at, statement)'
    ],
    [
      'path for paths, which Trivy would ignore and so ignore the finding in every file',
      'secrets:\n  - id: a\n    path: x\n',
      'line 3: unknown key "path" in an entry of secrets (expected id, paths, purls, expired_at, statement)'
    ],
    ['paths given as text', 'secrets:\n  - id: a\n    paths: foo/bar\n', 'line 3: paths must be a list'],
    [
      'a path pattern Trivy refuses',
      'secrets:\n  - id: a\n    paths:\n      - "ok/*"\n      - "foo/[bar"\n',
      'line 5: invalid path pattern "foo/[bar"'
    ],
    [
      'a purl without its scheme',
      'vulnerabilities:\n  - id: CVE-1\n    purls:\n      - npm/lodash\n',
      'line 4: invalid purl "npm/lodash": purl scheme is not "pkg"'
    ],
    ['an id that is a list', 'vulnerabilities:\n  - id: [a, b]\n', 'line 2: id must be text']
  ])('refuses %s, naming the line', (_name, text, message) => {
    expect(() => parseYamlIgnore(text)).toThrow(new Error(`.trivyignore.yaml ${message}`))
  })

  test.each([
    ['a key given twice', 'secrets:\n  - id: a\n    id: b\n', 3],
    ['an unclosed list', 'vulnerabilities:\n  - id: CVE-1\n    paths: [a, b\n', 4]
  ])('refuses YAML with %s, naming the line', (_name, text, line) => {
    expect(() => parseYamlIgnore(text)).toThrow(
      new RegExp(`^\\.trivyignore\\.yaml line ${line}: not valid YAML: `)
    )
  })
})

describe("Trivy's own filter tests, as the action applies them", () => {
  // pkg/result/filter_test.go "ignore yaml": the findings it feeds Filter, what Trivy ignores,
  // and the two cases the action cannot follow, because the JSON report leaves out what decides.
  const yamlRules = parseYamlIgnore(TRIVY_YAML)
  const golang = (name: string, version: string): string =>
    `pkg:golang/github.com/aquasecurity/${name}@${version}`
  test.each([
    [
      'vuln1: CVE-2019-0001 in foo/package-lock.json, by path',
      { id: 'CVE-2019-0001', purl: golang('foo', 'v1.2.3') },
      true
    ],
    ['vuln3: CVE-2019-0003, an entry without paths', { id: 'CVE-2019-0003' }, true],
    ['vuln4: CVE-2019-0004, only in bar/package.json', { id: 'CVE-2019-0004' }, false],
    ['vuln5: CVE-2019-0005, until 2023-01-01', { id: 'CVE-2019-0005' }, true],
    [
      'vuln6: CVE-2019-0006, expired 2020-01-01',
      { id: 'CVE-2019-0006', purl: golang('foo', 'v1.2.3') },
      false
    ],
    [
      'vuln7: CVE-2019-0007, by purl without version',
      { id: 'CVE-2019-0007', purl: golang('bar', 'v2.3.4') },
      true
    ]
  ])('%s', (_name, over, ignored) => {
    const vuln = finding({ target: 'foo/package-lock.json', ...over })
    expect(isIgnored(vuln, yamlRules, TRIVY_TEST_NOW)).toBe(ignored)
  })

  test.each([
    ['misconf1: ID100', { id: 'ID100', otherIds: ['AVD-ID100'] }, true],
    ['misconf3: ID300, only in docs/Dockerfile', { id: 'ID300', otherIds: ['AVD-ID300'] }, false],
    // Trivy ignores misconf4 by its alias AVD-ID400, which its JSON never carries.
    ['misconf4: ID400, whose alias the report leaves out', { id: 'ID400', otherIds: [] }, false],
    ['misconf4: ID400, when the alias is known', { id: 'ID400', otherIds: ['AVD-ID400'] }, true]
  ])('%s', (_name, over, ignored) => {
    const misconf = finding({ kind: 'misconfiguration', target: 'app/Dockerfile', status: 'FAIL', ...over })
    expect(isIgnored(misconf, yamlRules, TRIVY_TEST_NOW)).toBe(ignored)
  })

  test.each([
    ['secret1: generic-wanted-rule, only in foo/secret.txt', 'generic-wanted-rule', false],
    ['secret2: generic-unwanted-rule', 'generic-unwanted-rule', true],
    ['secret3: generic-unwanted-rule2 in **/config.yaml (zero folders)', 'generic-unwanted-rule2', true]
  ])('%s', (_name, id, ignored) => {
    const secret = finding({ kind: 'secret', id, target: 'config.yaml', status: '' })
    expect(isIgnored(secret, yamlRules, TRIVY_TEST_NOW)).toBe(ignored)
  })

  test.each([
    [
      'license1: GPL-3.0 in the file its entry names',
      'GPL-3.0',
      'usr/share/gcc/python/libstdcxx/v6/__init__.py',
      true
    ],
    ['license2: GPL-3.0 in another file', 'GPL-3.0', 'usr/share/gcc/python/libstdcxx/v6/printers.py', false],
    [
      'license4: an expression with WITH, named whole',
      'Apache-2.0 WITH LLVM-exception',
      'usr/share/llvm/LICENSE.txt',
      true
    ],
    ['license5: another exception', 'GPL-3.0 WITH GCC-exception-3.1', 'usr/share/gcc/LICENSE.txt', false],
    // Trivy ignores license3 because MIT and GPL-2.0-or-later each have an entry (SPDX
    // normalisation); the action ignores a license only by its exact name.
    [
      'license3: a compound whose parts are each ignored',
      'mit AND GPL-2.0-or-later',
      'usr/share/gcc/python/libstdcxx/v6/__init__.py',
      false
    ]
  ])('%s', (_name, id, pkgPath, ignored) => {
    const license = finding({ kind: 'license', id, target: 'LICENSE.txt', pkgPath, status: '' })
    expect(isIgnored(license, yamlRules, TRIVY_TEST_NOW)).toBe(ignored)
  })

  // pkg/result/filter_test.go "ignore file": the plain file applies each ID to every kind.
  const plainRules = parsePlainIgnore(TRIVY_PLAIN)
  test.each([
    ['vuln1: CVE-2019-0001', finding({ id: 'CVE-2019-0001', target: 'package-lock.json' }), true],
    ['vuln3: CVE-2019-0003, not in the file', finding({ id: 'CVE-2019-0003' }), false],
    ['vuln4: CVE-2019-0004, expired 2020-01-01', finding({ id: 'CVE-2019-0004' }), false],
    ['vuln5: CVE-2019-0005, until 9999', finding({ id: 'CVE-2019-0005' }), true],
    ['vuln6: CVE-2019-0006, with another field after the date', finding({ id: 'CVE-2019-0006' }), true],
    ['misconf3: ID300', finding({ kind: 'misconfiguration', id: 'ID300', target: 'deployment.yaml' }), true],
    [
      'misconf4: ID400 by its alias',
      finding({ kind: 'misconfiguration', id: 'ID400', otherIds: ['AVD-ID400'], target: 'deployment.yaml' }),
      true
    ],
    [
      'misconf1: ID100, not in the file',
      finding({ kind: 'misconfiguration', id: 'ID100', target: 'deployment.yaml' }),
      false
    ],
    [
      'secret2: generic-unwanted-rule',
      finding({ kind: 'secret', id: 'generic-unwanted-rule', target: 'config.yaml' }),
      true
    ],
    [
      'license1: GPL-3.0',
      finding({ kind: 'license', id: 'GPL-3.0', pkgPath: 'usr/share/gcc/LICENSE.txt' }),
      true
    ]
  ])('plain: %s', (_name, item, ignored) => {
    expect(isIgnored(item, plainRules, TRIVY_TEST_NOW)).toBe(ignored)
  })
})

describe('expiry', () => {
  // exp:2024-06-01 is midnight UTC starting 1 June; Trivy prunes a rule when that instant is
  // before now, so the rule still holds at exactly midnight and not a millisecond later.
  const plain = parsePlainIgnore('CVE-2019-1549 exp:2024-06-01')
  const yaml = parseYamlIgnore('vulnerabilities:\n  - id: CVE-2019-1549\n    expired_at: 2024-06-01\n')
  const vuln = finding({ id: 'CVE-2019-1549' })
  test.each([
    ['the day before', '2024-05-31T12:00:00.000Z', true],
    ['the last instant before the day', '2024-05-31T23:59:59.999Z', true],
    ['the first instant of the day itself', '2024-06-01T00:00:00.000Z', true],
    ['a millisecond into the day itself', '2024-06-01T00:00:00.001Z', false],
    ['midday on the day itself', '2024-06-01T12:00:00.000Z', false],
    ['a year later', '2025-06-01T00:00:00.000Z', false]
  ])('%s (%s): ignored %s', (_name, now, ignored) => {
    expect(isIgnored(vuln, plain, at(now))).toBe(ignored)
    expect(isIgnored(vuln, yaml, at(now))).toBe(ignored)
    expect(isExpired(plain[0] as IgnoreRule, at(now))).toBe(!ignored)
  })

  it('counts an expiry with an offset at the instant it names', () => {
    const rules = parseYamlIgnore('secrets:\n  - id: a\n    expired_at: 2024-06-01T02:00:00+02:00\n')
    const secret = finding({ kind: 'secret', id: 'a' })
    expect(isIgnored(secret, rules, at('2024-06-01T00:00:00.000Z'))).toBe(true)
    expect(isIgnored(secret, rules, at('2024-06-01T00:00:00.001Z'))).toBe(false)
  })

  it('lets a live rule ignore what an expired one no longer does, and names the expired one otherwise', () => {
    const rules = parsePlainIgnore('CVE-1 exp:2024-01-01\nCVE-1 exp:2026-01-01\nCVE-2 exp:2024-01-01')
    expect(matchIgnoreRule(finding({ id: 'CVE-1' }), rules, NOW)?.line).toBe(2)
    expect(expiredIgnoreRule(finding({ id: 'CVE-1' }), rules, NOW)).toBeUndefined()
    expect(matchIgnoreRule(finding({ id: 'CVE-2' }), rules, NOW)).toBeUndefined()
    expect(expiredIgnoreRule(finding({ id: 'CVE-2' }), rules, NOW)?.line).toBe(3)
    expect(expiredIgnoreRule(finding({ id: 'CVE-3' }), rules, NOW)).toBeUndefined()
  })
})

describe('which finding a rule applies to', () => {
  test.each([
    [
      'an ID of another case',
      'vulnerabilities:\n  - id: cve-2019-1549\n',
      finding({ id: 'CVE-2019-1549' }),
      false
    ],
    [
      'a vulnerability by its target',
      'vulnerabilities:\n  - id: CVE-1\n    paths: ["app/*.json"]\n',
      finding({ id: 'CVE-1', target: 'app/package-lock.json' }),
      true
    ],
    [
      'a vulnerability by its package path',
      'vulnerabilities:\n  - id: CVE-1\n    paths: ["var/lib/gems/**"]\n',
      finding({ id: 'CVE-1', target: 'Ruby', pkgPath: 'var/lib/gems/2.5.0/specifications/rack.gemspec' }),
      true
    ],
    [
      'a vulnerability in another file',
      'vulnerabilities:\n  - id: CVE-1\n    paths: ["app/*.json"]\n',
      finding({ id: 'CVE-1', target: 'app/sub/package-lock.json' }),
      false
    ],
    [
      'a secret by the file it is in',
      'secrets:\n  - id: aws-access-key-id\n    paths: ["**/*.sh"]\n',
      finding({ kind: 'secret', id: 'aws-access-key-id', target: 'deploy.sh' }),
      true
    ],
    [
      'a misconfiguration by its file',
      'misconfigurations:\n  - id: DS-0002\n    paths: ["docs/Dockerfile"]\n',
      finding({ kind: 'misconfiguration', id: 'DS-0002', target: 'Dockerfile' }),
      false
    ],
    [
      'a misconfiguration by AVD-DS-0002, the ID Trivy docs use',
      'misconfigurations:\n  - id: AVD-DS-0002\n',
      finding({
        kind: 'misconfiguration',
        id: 'DS-0002',
        otherIds: ['AVD-DS-0002', 'DS002'],
        target: 'Dockerfile'
      }),
      true
    ],
    [
      'a misconfiguration by its old ID DS002',
      'misconfigurations:\n  - id: DS002\n',
      finding({
        kind: 'misconfiguration',
        id: 'DS-0002',
        otherIds: ['AVD-DS-0002', 'DS002'],
        target: 'Dockerfile'
      }),
      true
    ],
    [
      'a license by the file it was found in, not the target',
      'licenses:\n  - id: MIT\n    paths: ["app/LICENSE"]\n',
      finding({ kind: 'license', id: 'MIT', target: 'Loose File License(s)', pkgPath: 'app/LICENSE' }),
      true
    ],
    [
      'a vulnerability, by a secret entry of the same ID',
      'secrets:\n  - id: CVE-1\n',
      finding({ id: 'CVE-1' }),
      false
    ]
  ])('%s', (_name, yaml, item, ignored) => {
    expect(isIgnored(item, parseYamlIgnore(yaml), NOW)).toBe(ignored)
  })

  const musl = 'pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4'
  test.each([
    ['the package, any version', 'pkg:apk/alpine/musl', musl, true],
    ['the package at its version', 'pkg:apk/alpine/musl@1.1.20-r4', musl, true],
    ['the package at another version', 'pkg:apk/alpine/musl@1.1.20-r5', musl, false],
    ['a qualifier the package has', 'pkg:apk/alpine/musl?arch=x86_64', musl, true],
    ['a qualifier value the package does not have', 'pkg:apk/alpine/musl?arch=aarch64', musl, false],
    ['another package', 'pkg:apk/alpine/musl-utils', musl, false],
    ['another namespace', 'pkg:apk/wolfi/musl', musl, false],
    ['the name in capitals, which apk purls lower-case', 'pkg:apk/Alpine/MUSL', musl, true],
    ['a vulnerability without a purl: every purl matches, as in Trivy', 'pkg:apk/alpine/musl-utils', '', true]
  ])('a purls entry naming %s', (_name, purl, findingPurl, ignored) => {
    const rules = parseYamlIgnore(`vulnerabilities:\n  - id: CVE-2019-14697\n    purls: ["${purl}"]\n`)
    expect(isIgnored(finding({ id: 'CVE-2019-14697', purl: findingPurl }), rules, NOW)).toBe(ignored)
  })

  it('applies purls to vulnerabilities only', () => {
    const rules = parseYamlIgnore('secrets:\n  - id: a\n    purls: ["pkg:npm/lodash"]\n')
    expect(isIgnored(finding({ kind: 'secret', id: 'a', purl: '' }), rules, NOW)).toBe(true)
  })
})

describe('path globs, as doublestar v4.10.0 matches them', () => {
  // Every row was checked against doublestar.Match and ValidatePattern (Go, v4.10.0).
  test.each([
    ['**/*-lock.json', 'package-lock.json', true],
    ['**/*-lock.json', 'a/b/yarn-lock.json', true],
    ['*-lock.json', 'app/package-lock.json', false],
    ['app/*', 'app/x/y', false],
    ['app/**', 'app', true],
    ['app/**', 'app/x/y', true],
    ['**', 'anything/at/all', true],
    ['usr/lib/**/*.jar', 'usr/lib/a.jar', true],
    ['usr/lib/**/*.jar', 'usr/lib/x/y/a.jar', true],
    ['usr/lib/**.jar', 'usr/lib/x/a.jar', false],
    ['usr/lib/**.jar', 'usr/lib/a.jar', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a**/b', 'a/x/b', false],
    ['a/?/c', 'a/b/c', true],
    ['a?c', 'a/c', false],
    ['[abc].txt', 'b.txt', true],
    ['[!abc].txt', 'b.txt', false],
    ['[^abc].txt', 'd.txt', true],
    ['[a-c].txt', 'd.txt', false],
    ['[a-]x', '-x', true],
    ['{a,b}/x', 'b/x', true],
    ['{a,b/**}/x', 'b/q/r/x', true],
    ['x{,y}', 'x', true],
    ['a/{b,c/{d,e}}/f', 'a/c/e/f', true],
    ['*.{js,ts}', 'x.tsx', false],
    ['{**/,}x', 'a/b/x', true],
    ['\\*.txt', '*.txt', true],
    ['\\*.txt', 'a.txt', false],
    ['**/node_modules/**', 'node_modules', true],
    ['*/*.lock', 'dir/Gemfile.lock', true],
    ['é/*', 'é/ü', true],
    ['[é-ü]', 'ö', true],
    ['**/alpine-39.tar.gz*', 'testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4)', true]
  ])('%s against %s: %s', (pattern, path, matched) => {
    expect(matchGlob(pattern, path)).toBe(matched)
  })

  test.each([
    ['[abc', false],
    ['{a,b', false],
    ['a\\', false],
    ['[]a]', false],
    ['a}', false],
    ['[\\]]', true],
    ['**/x/{a,b}/[!c]?*', true]
  ])('%s is a valid pattern: %s', (pattern, valid) => {
    expect(validGlob(pattern)).toBe(valid)
    if (!valid) expect(matchGlob(pattern, 'a')).toBe(false)
  })
})

describe('Package URLs, as packageurl-go v0.1.6 reads them', () => {
  // Every row was checked against packageurl.FromString (Go, v0.1.6).
  test.each([
    [
      'pkg:apk/alpine/libcrypto1.1@1.1.1b-r1?arch=x86_64&distro=3.9.4',
      {
        type: 'apk',
        namespace: 'alpine',
        name: 'libcrypto1.1',
        version: '1.1.1b-r1',
        qualifiers: { arch: 'x86_64', distro: '3.9.4' },
        subpath: ''
      }
    ],
    [
      'pkg:npm/%40babel/core@7.0.0',
      { type: 'npm', namespace: '@babel', name: 'core', version: '7.0.0', qualifiers: {}, subpath: '' }
    ],
    [
      'pkg:npm/@babel/core@7.0.0',
      { type: 'npm', namespace: '@babel', name: 'core', version: '7.0.0', qualifiers: {}, subpath: '' }
    ],
    [
      'pkg:deb/Debian/OpenSSL@1.1?Arch=amd64&distro=',
      {
        type: 'deb',
        namespace: 'debian',
        name: 'openssl',
        version: '1.1',
        qualifiers: { arch: 'amd64' },
        subpath: ''
      }
    ],
    [
      'pkg:pypi/Django_Rest@1.0',
      { type: 'pypi', namespace: '', name: 'django-rest', version: '1.0', qualifiers: {}, subpath: '' }
    ],
    [
      'PKG://maven/org.apache/commons@1.0#sub/path/',
      {
        type: 'maven',
        namespace: 'org.apache',
        name: 'commons',
        version: '1.0',
        qualifiers: {},
        subpath: 'sub/path'
      }
    ],
    [
      'pkg:generic/name%20x@1%2B2',
      { type: 'generic', namespace: '', name: 'name x', version: '1+2', qualifiers: {}, subpath: '' }
    ]
  ])('reads %s', (text, expected) => {
    expect(parsePurl(text)).toEqual(expected)
  })

  test.each([
    ['apk/alpine/x', 'purl scheme is not "pkg"'],
    ['pkg:docker', 'purl is missing type or name'],
    ['pkg:apk/alpine/x@1?a=1&a=2', 'duplicate qualifier key: "a"'],
    ['pkg:apk/alpine/x@1?a=1;b', 'invalid semicolon separator in query'],
    ['pkg:apk/alpine/x@%zz', 'error unescaping version: invalid URL escape "%zz"'],
    ['pkg:9x/a', 'invalid type "9x"'],
    ['pkg:cpan/foo', 'a cpan purl must have a namespace'],
    ['pkg:maven/a/b@1#a/../b', 'invalid Package URL subpath: "a/../b"'],
    ['pkg:apk/@x', 'purl is missing name']
  ])('refuses %s', (text, message) => {
    expect(() => parsePurl(text)).toThrow(new Error(message))
  })

  it('matches as Trivy does: what the constraint leaves out matches anything', () => {
    const target = parsePurl('pkg:golang/github.com/aquasecurity/bar@v2.3.4#cmd/x')
    expect(purlMatches(parsePurl('pkg:golang/github.com/aquasecurity/bar'), target)).toBe(true)
    expect(purlMatches(parsePurl('pkg:golang/github.com/aquasecurity/bar#cmd/y'), target)).toBe(false)
    expect(purlMatches(parsePurl('pkg:golang/github.com/aquasecurity/bar?goos=linux'), target)).toBe(false)
  })
})
