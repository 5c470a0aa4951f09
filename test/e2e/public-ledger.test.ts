import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { seedBig } from '../../src/domain/demo/big.ts';
import { publishCheckpoint } from '../../src/domain/bookkeeping/signed-checkpoints.ts';
import { axeViolations, browserSuite, watchForErrors } from '../helpers/browser.ts';

/**
 * Issue 17, "done when": a signed-out visitor follows the steps of
 * /transparency in a real browser: downloads the three files the page links,
 * runs the command the page prints (the verifier as a child process, in a
 * temporary folder with no project dependencies) and gets OK with the
 * county figures the page shows.
 */
const run = promisify(execFile);
const suite = browserSuite({
  skipName: 'the public ledger journey in the browser',
  seed: (server) => {
    seedBig(server.db, { members: 150, months: 13, nowMs: server.clock.now(), seed: 11 });
    publishCheckpoint(server.db.$client, server.app.checkpointKeys, server.clock.now());
  },
});
if (suite) {
  t.test('a signed-out visitor downloads the public ledger and checks it as the page says', { timeout: 180_000 }, async (t) => {
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`${suite.server.baseUrl}/transparency`);
    t.same(await axeViolations(page), [], '/transparency: axe');
    const folder = mkdtempSync(join(tmpdir(), 'silver-journey-'));
    t.teardown(() => rmSync(folder, { recursive: true, force: true }));
    const steps = page.locator('#how-steps');
    const links = steps.locator('a[download]');
    t.equal(await links.count(), 3, 'step 2 links three files');
    for (let index = 0; index < 3; index += 1) {
      const downloading = page.waitForEvent('download');
      await links.nth(index).click();
      const download = await downloading;
      copyFileSync((await download.path())!, join(folder, download.suggestedFilename()));
    }
    const command = (await page.locator('#verify-command').innerText()).trim().split(' ');
    t.equal(command[0], 'node');
    const { stdout } = await run(process.execPath, command.slice(1), { cwd: folder, env: { PATH: process.env.PATH ?? '' } });
    t.match(stdout.split('\n')[0], /^OK: \d+ transfers, every hash link holds; 1 signed checkpoints verified/);
    t.match(stdout, `public key ${await page.locator('#checkpoint-public-key').innerText()}`, 'the key the page shows');
    const pageIssued = await page.locator('#transparency-counties tbody tr td:nth-of-type(3)').allInnerTexts();
    const printed = [...stdout.matchAll(/^county \d{6} issued -?\d+ min \(([^)]+)\)/gm)].map((match) => match[1]!);
    t.same(printed, pageIssued, 'the credits issued per county are the ones the page shows');
    t.same(errors, [], 'no console errors');
    await context.close();
  });
}
