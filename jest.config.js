// Two projects: `unit` (pure logic, no programs run) and `e2e` (the bundled action against a real
// Docker engine and registry; see scripts/testbed.sh).
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node'
}

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'],
      slowTestThreshold: 120
    }
  ]
}
