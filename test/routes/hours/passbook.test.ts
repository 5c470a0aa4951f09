import t from 'tap';
import { accountIds, accountInputs, ensureAccounts, ledgerFor } from '../../../src/domain/ledger/accounts.ts';
import { TransferFlags } from '../../../src/ledger/index.ts';
import { signedInAs, visibleText } from '../../helpers/web.ts';
import { createHoursApp, scalar } from './helpers.ts';

t.test('the passbook names a redemption and a gift by what they are, with the held amount', async (t) => {
  const testApp = await createHoursApp();
  t.teardown(() => testApp.app.close());
  const memberId = scalar(testApp, "SELECT member_id FROM users WHERE phone = '13800000001'");
  const otherId = scalar(testApp, 'SELECT id FROM members WHERE id <> ? ORDER BY id LIMIT 1', memberId);
  const ledger = ledgerFor(testApp.db.$client, testApp.clock.now);
  const wallet = accountIds.wallet(memberId);
  ensureAccounts(ledger, [accountInputs.site(9001), accountInputs.wallet(otherId)]);
  t.same(ledger.createTransfers([
    { id: 'test-gift', debitAccountId: wallet, creditAccountId: accountIds.wallet(otherId), amount: 15, code: 'gift', refType: 'gift', refId: '1' },
    { id: 'test-rdm-hold', debitAccountId: wallet, creditAccountId: accountIds.site(9001), amount: 25, code: 'redemption', flags: TransferFlags.pending, refType: 'redemption', refId: '1' },
  ]), ['ok', 'ok']);
  const volunteer = await signedInAs(testApp.app, 'volunteer');
  const text = visibleText((await volunteer.get('/passbook')).body);
  t.match(text, /兑换（待确认密码） — -25 分钟/, 'the held redemption: no posted change, 25 minutes held to go out');
  t.match(text, /赠与亲属 -15 分钟/);
  t.notMatch(text, /登记服务（待审核）[^\n]*-25/);
});
