import { resolve } from 'node:path';
import { cryptoProfiles, isCryptoProfile, type CryptoProfile } from './lib/crypto.ts';

/** Runtime settings, read once from the environment with safe defaults. */
export interface Config {
  host: string;
  port: number;
  dataDirectory: string;
  /** Set cookies with `Secure` and send HSTS: true when served over HTTPS (behind a proxy). */
  secureCookies: boolean;
  logLevel: string;
  /** Seed the demo network into an empty database on start. */
  seedDemo: boolean;
  /**
   * Behind a reverse proxy, the proxy's address (or 'true' for any): client
   * addresses then come from X-Forwarded-For, so per-address limits and the
   * audit log see the real client. Off by default.
   */
  trustProxy: string | boolean;
  /**
   * CRYPTO_PROFILE: `international` or `guomi`, chosen at the first start and recorded
   * in the database; unset later means "what the database records".
   */
  cryptoProfile: CryptoProfile | undefined;
  /**
   * GROUP_COMMIT (default on; `0` or `false` turns it off): concurrent writes
   * share one transaction and one fsync, every answer sent after its commit
   * (docs/PERFORMANCE.md, "Group commit").
   */
  groupCommit: boolean;
  /**
   * SMS_TRANSPORT: `log` (default: logs what would be sent, phone masked) or
   * `http` (JSON POST to SMS_GATEWAY_URL with SMS_GATEWAY_KEY; docs/MESSAGES.md).
   */
  sms: { transport: 'log' } | { transport: 'http'; url: string; key: string };
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(environment.PORT ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer between 0 and 65535, got "${environment.PORT}"`);
  }
  const logLevel = environment.LOG_LEVEL ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  const cryptoProfile = environment.CRYPTO_PROFILE || undefined;
  if (cryptoProfile !== undefined && !isCryptoProfile(cryptoProfile)) {
    throw new Error(`CRYPTO_PROFILE must be one of ${cryptoProfiles.join(', ')}; got "${cryptoProfile}"`);
  }
  return {
    sms: smsConfig(environment),
    cryptoProfile,
    host: environment.HOST ?? '127.0.0.1',
    port,
    dataDirectory: resolve(environment.DATA_DIR ?? './data'),
    secureCookies: environment.SECURE_COOKIES === '1' || environment.SECURE_COOKIES === 'true',
    logLevel,
    seedDemo: environment.SEED_DEMO !== '0' && environment.SEED_DEMO !== 'false',
    groupCommit: environment.GROUP_COMMIT !== '0' && environment.GROUP_COMMIT !== 'false',
    trustProxy: environment.TRUST_PROXY === 'true' ? true : environment.TRUST_PROXY ? environment.TRUST_PROXY : false,
  };
}

function smsConfig(environment: NodeJS.ProcessEnv): Config['sms'] {
  const transport = environment.SMS_TRANSPORT || 'log';
  if (transport === 'log') return { transport };
  if (transport !== 'http') throw new Error(`SMS_TRANSPORT must be log or http; got "${transport}"`);
  const url = environment.SMS_GATEWAY_URL ?? '';
  const key = environment.SMS_GATEWAY_KEY ?? '';
  if (!/^https?:\/\//.test(url)) throw new Error('SMS_TRANSPORT=http needs SMS_GATEWAY_URL (an http or https address)');
  if (key === '') throw new Error('SMS_TRANSPORT=http needs SMS_GATEWAY_KEY');
  return { transport, url, key };
}
