/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or BENCH_PROFILE of the benchmarks):
 * self time by function and by file, the biggest first.
 *   npx tsx test/bench/profile-summary.ts FILE.cpuprofile [TOP=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const [file, topText] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts FILE.cpuprofile [TOP]');
const top = Number(topText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicroseconds = new Map<number, number>();
profile.samples.forEach((id, index) => selfMicroseconds.set(id, (selfMicroseconds.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const total = [...selfMicroseconds.values()].reduce((sum, value) => sum + value, 0);

/** A short file name: the package under node_modules, or the path inside the project. */
function shortFile(url: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return `pkg:${inModules[1]}`;
  return url.replace(/^file:\/\/.*?\/(src|test|views)\//, '$1/') || '(native)';
}

function table(title: string, keyOf: (node: ProfileNode) => string): void {
  const sums = new Map<string, number>();
  for (const [id, micros] of selfMicroseconds) {
    const key = keyOf(byId.get(id)!);
    sums.set(key, (sums.get(key) ?? 0) + micros);
  }
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms)`);
  for (const [key, micros] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * micros) / total).toFixed(1).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  }
}

table('self time by file or package', (node) => shortFile(node.callFrame.url));
table('self time by function', (node) => `${node.callFrame.functionName || '(anonymous)'}  ${shortFile(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`);

/** The nearest frame of our own code (src/) at or above a node: who paid for a library's time. */
function ownCaller(node: ProfileNode): ProfileNode | undefined {
  for (let current: ProfileNode | undefined = node; current; current = byId.get(parentOf.get(current.id) ?? -1)) {
    if (/\/src\//.test(current.callFrame.url) && !current.callFrame.url.includes('node_modules')) return current;
  }
  return undefined;
}
table('self time by the nearest function of src/ (library time charged to its caller)', (node) => {
  const caller = ownCaller(node);
  return caller ? `${caller.callFrame.functionName || '(anonymous)'}  ${shortFile(caller.callFrame.url)}` : '(no src/ caller)';
});
