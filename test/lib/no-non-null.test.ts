import { test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// A lint-like check: no TypeScript non-null assertion (`value!`) in src/.
// `!` silences the type checker where a value may be missing; the code checks
// the missing case (answering like a missing object where a user can cause it)
// or states the invariant with assert()/present() from src/lib/assert.ts.
//
// The project type-checks with TypeScript 7, which ships no compiler API; the
// parser here is the TypeScript 5 that tap already installs beside tshy (as
// scripts/depcruise.mjs does for dependency-cruiser).

// The few parts of the TypeScript 5 compiler API used here (TypeScript 7's package declares none).
interface SyntaxNode {
  getStart(): number;
  getText(): string;
}
interface SourceFile extends SyntaxNode {
  getLineAndCharacterOfPosition(position: number): { line: number };
}
interface Ts {
  createSourceFile(fileName: string, text: string, target: number, setParentNodes: boolean): SourceFile;
  ScriptTarget: { Latest: number };
  isNonNullExpression(node: SyntaxNode): boolean;
  forEachChild(node: SyntaxNode, visit: (node: SyntaxNode) => void): void;
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const projectRequire = createRequire(join(root, 'package.json'));
const ts = createRequire(projectRequire.resolve('tshy/package.json'))('typescript') as Ts;

function typeScriptFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every non-null assertion in a source text, as `line: text`. */
function nonNullAssertions(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: SyntaxNode): void => {
    if (ts.isNonNullExpression(node)) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      found.push(`${line + 1}: ${node.getText().slice(0, 80)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('the check finds a non-null assertion where there is one, and nothing in its absence', (t) => {
  t.same(nonNullAssertions('x.ts', 'const a = list[0]!;\nconst b = map.get(k)!.name;'), ['1: list[0]!', '2: map.get(k)!']);
  t.same(nonNullAssertions('x.ts', 'const a = !ready;\nconst b = a !== b;\nconst c = list[0] ?? null;'), [], 'negation and inequality are not assertions');
  t.end();
});

test('src/ holds no non-null assertion', (t) => {
  const files = typeScriptFiles(join(root, 'src'));
  t.ok(files.length > 100, `src/ parsed (${files.length} files)`);
  const offences = files.flatMap((file) => nonNullAssertions(file, readFileSync(file, 'utf8')).map((hit) => `${relative(root, file)}:${hit}`));
  t.same(offences, [], 'use assert()/present() from src/lib/assert.ts, or handle the missing case');
  t.end();
});
