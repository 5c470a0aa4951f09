// Runs dependency-cruiser with a TypeScript it can load.
//
// dependency-cruiser 16 parses .ts files with the TypeScript compiler API
// and accepts TypeScript >=2 <6. The project type-checks with TypeScript 7,
// whose package ships no compiler API, so dependency-cruiser would silently
// cruise 0 modules. tap 21 already installs TypeScript 5 for its build step
// (tap -> @tapjs/test -> tshy -> typescript 5.x, pinned in package-lock.json),
// so this wrapper points the one name "typescript" at that copy for
// dependency-cruiser only, then runs its command line unchanged.
import Module, { createRequire, register } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRequire = createRequire(import.meta.url);
const tshyRequire = createRequire(projectRequire.resolve('tshy/package.json'));
const typescriptEntry = tshyRequire.resolve('typescript');
const typescriptManifest = tshyRequire.resolve('typescript/package.json');
const major = Number(tshyRequire('typescript/package.json').version.split('.')[0]);
if (!(major >= 2 && major < 6)) {
  console.error(`scripts/depcruise.mjs: expected TypeScript 2-5 beside tshy, found ${major}`);
  process.exit(2);
}

// CommonJS look-ups (dependency-cruiser reads typescript/package.json with require).
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'typescript') return typescriptEntry;
  if (request === 'typescript/package.json') return typescriptManifest;
  return resolveFilename.call(this, request, ...rest);
};

// ES module look-ups (dependency-cruiser loads the compiler with import()).
const hook = `export async function resolve(specifier, context, next) {
  if (specifier === 'typescript') return { url: ${JSON.stringify(pathToFileURL(typescriptEntry).href)}, shortCircuit: true };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

// The package exports no bin path, so find it from its main module (src/main/index.mjs).
const cli = new URL('../../bin/dependency-cruise.mjs', import.meta.resolve('dependency-cruiser'));
process.argv.splice(1, 1, fileURLToPath(cli));
await import(cli.href);
