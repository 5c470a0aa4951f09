import { BlockList, isIPv6 } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Behind a reverse proxy without TRUST_PROXY, every request comes from the
 * proxy's address: the sign-in throttle, the rate limits and the audit log
 * then treat all clients as one (one stranger's guesses lock everyone out of
 * a phone's sign-in from that "address"). The server cannot know the setup,
 * but a request that carries X-Forwarded-For and arrives from a loopback or
 * private address almost certainly came through a proxy: log one warning,
 * once per process, naming the setting. Neither address is logged.
 */
const proxyPeers = new BlockList();
proxyPeers.addSubnet('127.0.0.0', 8, 'ipv4');
proxyPeers.addSubnet('10.0.0.0', 8, 'ipv4');
proxyPeers.addSubnet('172.16.0.0', 12, 'ipv4');
proxyPeers.addSubnet('192.168.0.0', 16, 'ipv4');
proxyPeers.addSubnet('100.64.0.0', 10, 'ipv4');
proxyPeers.addAddress('::1', 'ipv6');
proxyPeers.addSubnet('fc00::', 7, 'ipv6');

export const proxyWarningText = 'requests arrive through a proxy (X-Forwarded-For from a loopback or private address) but TRUST_PROXY is not set: '
  + 'all clients share the proxy\'s address for the sign-in throttle, rate limits and the audit log. '
  + 'Set TRUST_PROXY to the proxy\'s address (README, "Behind a reverse proxy").';

/** True when `address` (as the socket reports it) is loopback or private. */
export function isProxyPeer(address: string | undefined): boolean {
  if (!address) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return proxyPeers.check(mapped[1], 'ipv4');
  return proxyPeers.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
}

export function installProxyWarning(app: FastifyInstance, trustProxy: string | boolean | undefined): void {
  if (trustProxy) return;
  let warned = false;
  app.addHook('onRequest', async (request) => {
    if (warned || request.headers['x-forwarded-for'] === undefined) return;
    if (!isProxyPeer(request.socket.remoteAddress)) return;
    warned = true;
    app.log.warn(proxyWarningText);
  });
}
