// Preloaded into the server by `npm run bench:rss` (node --import): every BENCH_RSS_PROBE_MS it
// writes one line `rss-probe {...}` to stderr with process.memoryUsage() (MB), so the benchmark can
// tell the JavaScript heap from native memory (SQLite's page cache, buffers) without a heap snapshot,
// which would itself inflate the resident set it measures.
const everyMs = Number(process.env.BENCH_RSS_PROBE_MS ?? 30_000);
const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
const timer = setInterval(() => {
  const usage = process.memoryUsage();
  process.stderr.write(`rss-probe ${JSON.stringify({ rss: mb(usage.rss), heapTotal: mb(usage.heapTotal), heapUsed: mb(usage.heapUsed), external: mb(usage.external), arrayBuffers: mb(usage.arrayBuffers) })}\n`);
}, everyMs);
timer.unref();
