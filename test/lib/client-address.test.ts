import t from 'tap';
import { addressKey } from '../../src/lib/client-address.ts';

t.test('a limit per address counts IPv4 addresses one by one and IPv6 addresses by their /64', async (t) => {
  t.equal(addressKey('203.0.113.7'), '203.0.113.7');
  t.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7', 'IPv4-mapped is the IPv4 address');
  t.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  t.equal(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64', 'the same /64');
  t.equal(addressKey('2001:0db8:0001:0002::9'), '2001:db8:1:2::/64', 'leading zeros and :: written differently');
  t.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  t.not(addressKey('2001:db8:1:3::1'), addressKey('2001:db8:1:2::1'), 'another /64 is another address');
  t.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64', 'a zone is dropped');
  t.equal(addressKey('::1'), '0:0:0:0::/64');
});
