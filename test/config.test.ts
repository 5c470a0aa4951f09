import t from 'tap';
import { loadConfig } from '../src/config.ts';

t.test('SMS transport: log by default; http needs a gateway address and a key; anything else is refused at start', async (t) => {
  t.same(loadConfig({}).sms, { transport: 'log' });
  t.same(loadConfig({ SMS_TRANSPORT: 'http', SMS_GATEWAY_URL: 'https://sms.example.cn/send', SMS_GATEWAY_KEY: 'k' }).sms,
    { transport: 'http', url: 'https://sms.example.cn/send', key: 'k' });
  t.throws(() => loadConfig({ SMS_TRANSPORT: 'http', SMS_GATEWAY_KEY: 'k' }), /SMS_GATEWAY_URL/);
  t.throws(() => loadConfig({ SMS_TRANSPORT: 'http', SMS_GATEWAY_URL: 'ftp://x' , SMS_GATEWAY_KEY: 'k' }), /SMS_GATEWAY_URL/);
  t.throws(() => loadConfig({ SMS_TRANSPORT: 'http', SMS_GATEWAY_URL: 'https://sms.example.cn/send' }), /SMS_GATEWAY_KEY/);
  t.throws(() => loadConfig({ SMS_TRANSPORT: 'wechat' }), /SMS_TRANSPORT must be log or http/);
});
