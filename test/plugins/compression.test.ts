import t from 'tap';
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import { dynamicBrotliQuality, largeBodyBrotliQuality, largeBodyBytes } from '../../src/plugins/assets.ts';
import { createHoursApp } from '../routes/hours/helpers.ts';
import { signedInAs } from '../helpers/web.ts';

t.test('a rendered page is compressed with brotli at the dynamic quality; without Accept-Encoding it is plain', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const plain = await volunteer.get('/hours');
  t.equal(plain.statusCode, 200);
  t.equal(plain.headers['content-encoding'], undefined, 'no encoding asked, none given');
  t.match(String(plain.headers.vary), 'Accept-Encoding');
  const compressed = await volunteer.get('/hours', { 'accept-encoding': 'gzip, deflate, br, zstd' });
  t.equal(compressed.headers['content-encoding'], 'br');
  t.match(String(compressed.headers.vary), 'Accept-Encoding');
  const html = brotliDecompressSync(compressed.rawPayload);
  t.match(html.toString('utf8'), '<h1>我的服务时间</h1>', 'the page itself once decoded');
  t.equal(dynamicBrotliQuality, 5, 'a cheaper quality than the static assets\' maximum, not so cheap that a slow line pays for it');
  const expected = brotliCompressSync(html, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: html.length } });
  t.equal(compressed.rawPayload.length, expected.length, 'the size brotli gives at quality 5 for these bytes');
});

t.test('a page over 16 KB (an office dashboard, read at a desk) is compressed at the cheaper large-body quality', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const office = await signedInAs(testApp.app, 'office');
  const compressed = await office.get('/reports/433123?month=2026-11', { 'accept-encoding': 'br' });
  t.equal(compressed.statusCode, 200);
  t.equal(compressed.headers['content-encoding'], 'br');
  const html = brotliDecompressSync(compressed.rawPayload);
  t.ok(html.length > largeBodyBytes, `the dashboard is ${html.length} B, over ${largeBodyBytes}`);
  t.match(html.toString('utf8'), '近12个月趋势', 'the page itself once decoded');
  t.equal(largeBodyBrotliQuality, 4, 'one step below the small pages\' quality');
  const atQuality = (quality: number) => brotliCompressSync(html, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: quality, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: html.length } }).length;
  t.equal(compressed.rawPayload.length, atQuality(4), 'the size brotli gives at quality 4 for these bytes');
  t.not(atQuality(4), atQuality(5), 'which is not what quality 5 gives (the check can tell them apart)');
});
