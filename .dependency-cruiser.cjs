// Layer rules for Silver Hours, checked on every `npm test` by
// `node scripts/depcruise.mjs src` (see that script for why it wraps depcruise).
// The layers point one way: routes -> domain -> ledger/db, with plugins as the
// app-wide frame around routes and lib as small pure helpers under everything.
// Type-only imports count (tsPreCompilationDeps), since a type is a dependency too.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles hide which layer owns what; break the cycle by moving the shared piece down a layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'ledger-stands-alone',
      severity: 'error',
      comment: 'src/ledger is the double-entry engine: it may import only itself, better-sqlite3 and node: builtins.',
      from: { path: '^src/ledger/' },
      to: {
        dependencyTypesNot: ['core'],
        pathNot: ['^src/ledger/', '^node_modules/(@types/)?better-sqlite3/'],
      },
    },
    {
      name: 'domain-knows-no-http',
      severity: 'error',
      comment: 'src/domain holds business rules; it must not import routes, plugins or Fastify (pass plain values in).',
      from: { path: '^src/domain/' },
      to: { path: ['^src/routes/', '^src/plugins/', '^node_modules/fastify/', '^node_modules/@fastify/'] },
    },
    {
      name: 'plugins-know-no-routes',
      severity: 'error',
      comment: 'src/plugins frame every route; a plugin that imports a route makes a circle with the route index.',
      from: { path: '^src/plugins/' },
      to: { path: '^src/routes/' },
    },
    {
      name: 'lib-is-pure',
      severity: 'error',
      comment: 'src/lib holds small pure helpers; it must not import domain, routes or plugins.',
      from: { path: '^src/lib/' },
      to: { path: ['^src/domain/', '^src/routes/', '^src/plugins/'] },
    },
    {
      name: 'heavy-packages-load-on-use',
      severity: 'error',
      comment: 'exceljs and qrcode add about 37 MB to every server process and are used by few requests: import() them where used (docs/PERFORMANCE.md, "Server memory").',
      from: {},
      to: { path: '^node_modules/(exceljs|qrcode)/', dynamic: false, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'imports-resolve',
      severity: 'error',
      comment: 'Every import specifier (including .ts ones) must resolve to a file or an installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules may be a symlink to a shared install; keep its paths as node_modules/...
    preserveSymlinks: true,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
