/** Layer rules checked in CI (STYLE.md §2): the pure libraries stay pure. */
module.exports = {
  forbidden: [
    {
      name: 'pure-libs-no-infrastructure',
      comment: 'libs/domain, libs/rules and libs/protocol hold clinical and protocol logic only: no framework, database, broker or socket.',
      severity: 'error',
      from: { path: '^libs/(domain|rules|protocol)/' },
      to: { path: 'node_modules/(@nestjs|pg|pg-[a-z-]+|typeorm|mqtt|socket\\.io|socket\\.io-client|ioredis|redis|aedes|express)/' },
    },
    {
      name: 'pure-libs-no-node-io',
      comment: 'no file system, network or process access in the pure libraries',
      severity: 'error',
      from: { path: '^libs/(domain|rules|protocol)/' },
      to: { dependencyTypes: ['core'], path: '^(fs|net|http|https|child_process|dgram|dns|tls|cluster|worker_threads)$' },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^(apps|devices-sim)/' },
    },
    {
      name: 'sim-does-not-import-apps',
      comment: 'the simulator speaks the contract like any third-party device: only #domain, #protocol and npm packages',
      severity: 'error',
      from: { path: '^devices-sim/' },
      to: { path: '^(apps|test|bench)/' },
    },
    {
      name: 'sim-generators-are-pure',
      comment: 'generators and scenarios are deterministic functions of their options: no broker, network or file system',
      severity: 'error',
      from: { path: '^devices-sim/src/(generators|scenarios)/' },
      to: {
        path: ['node_modules/(mqtt|pg|@nestjs)/', '^(fs|net|http|https|child_process|dgram|dns|tls|timers|node:fs|node:net)$', '^devices-sim/src/(device|run|load|provisioning|bad-input|cli)/'],
      },
    },
    {
      name: 'apps-reach-sim-by-package-import',
      comment:
        'the server uses the simulator as a package: `#devices-sim` (package.json "imports"), never a relative path into devices-sim/, so the build maps it to dist/ and the sim can move',
      severity: 'error',
      from: { path: '^apps/' },
      to: { path: '^devices-sim/', dependencyTypesNot: ['aliased-subpath-import'] },
    },
    {
      name: 'apps-reach-sim-through-its-index',
      comment: "only the simulator's public API (devices-sim/src/index.ts), not its internals",
      severity: 'error',
      from: { path: '^apps/' },
      to: { path: '^devices-sim/', pathNot: '^devices-sim/src/index\\.ts$' },
    },
    {
      name: 'domain-is-the-bottom',
      severity: 'error',
      from: { path: '^libs/domain/' },
      to: { path: '^libs/(rules|protocol)/' },
    },
    {
      name: 'patient-scope-issued-by-access-only',
      comment:
        'patient-data repositories take a PatientScope as proof of the care-team check; only apps/server/src/access may issue one (elsewhere: type imports only)',
      severity: 'error',
      from: { path: '^apps/', pathNot: '^apps/server/src/access/' },
      to: { path: '^apps/server/src/access/patient-scope\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'services-do-not-reach-the-database',
      comment:
        'services orchestrate, repositories own I/O: a *.service.ts imports neither pg nor TypeORM (a repository, or TransactionRunner, does the queries)',
      severity: 'error',
      from: { path: '^apps/server/src/.*\\.service\\.ts$' },
      to: { path: 'node_modules/(pg|pg-[a-z-]+|typeorm)/' },
    },
    {
      name: 'no-circular-in-libs',
      severity: 'error',
      from: { path: '^libs/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['types', 'import', 'default'], extensions: ['.ts', '.js'] },
    exclude: { path: '\\.spec\\.ts$' },
  },
};
