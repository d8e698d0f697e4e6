// Jest runs in native ESM mode (NestJS 12 packages are ESM-only): see package.json "test:*" scripts
// for --experimental-vm-modules. @swc/jest strips types and keeps decorator metadata.
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { swcrc: true }] },
  moduleNameMapper: {
    '^#domain$': '<rootDir>/libs/domain/src/index.ts',
    '^#protocol$': '<rootDir>/libs/protocol/src/index.ts',
    '^#rules$': '<rootDir>/libs/rules/src/index.ts',
    '^#devices-sim$': '<rootDir>/devices-sim/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

export default {
  // Global only: Jest ignores testTimeout inside a project. Unit tests finish far below it.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,devices-sim}/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/{integration,e2e}/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.cjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.cjs',
      setupFilesAfterEnv: ['<rootDir>/test/support/migrate-once.ts'],
    },
  ],
};
