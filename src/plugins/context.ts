import type { Db } from '../db/client.ts';
import type { Actor } from '../domain/access/authorize.ts';
import type { Locale, Translate } from '../i18n/index.ts';
import type { Secrets } from '../lib/secrets.ts';
import type { CheckpointKeys } from '../lib/checkpoint-key.ts';
import type { SmsTransport } from '../domain/messages/transports.ts';

/** The signed-in user as routes see it. */
export interface CurrentUser {
  id: number;
  displayName: string;
  phone: string;
  mustChangePassword: boolean;
  /** The refresh-token family of this browser's session. */
  sessionFamilyId: string;
  actor: Actor;
}

export interface PageOptions {
  /** Message key of the page title (also the <h1> unless the template prints its own). */
  titleKey: string;
  titleVariables?: Record<string, string | number>;
  status?: number;
  /**
   * The signed-in member's own page that the service worker may keep for offline use (docs/OFFLINE.md):
   * only a volunteer's home, passbook and own logging form, never a page that shows other people's records.
   */
  offline?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    secrets: Secrets;
    /** The network's checkpoint signing key (src/lib/checkpoint-key.ts). */
    checkpointKeys: CheckpointKeys;
    /** Milliseconds since the epoch; tests may move it. */
    clock: () => number;
    /** How the SMS job sends (src/domain/messages/transports.ts): `log` unless configured. */
    smsTransport: SmsTransport;
  }
  interface FastifyRequest {
    locale: Locale;
    t: Translate;
    elderMode: boolean;
    /** True when htmx asked for a fragment (HX-Request-Type: partial). */
    isPartial: boolean;
    currentUser: CurrentUser | null;
    /** Why there is no user although cookies were sent: shown on the sign-in page. */
    sessionProblem: 'expired' | null;
    /** Returns the signed-in user, or throws SignInRequired. */
    requireUser(): CurrentUser;
  }
  interface FastifyReply {
    /** Renders views/<template>.eta inside the layout, or alone for an htmx partial request. */
    page(template: string, data: Record<string, unknown>, options: PageOptions): Promise<string>;
    /** Renders one template alone (a partial), whatever the request type. */
    fragment(template: string, data: Record<string, unknown>, status?: number): Promise<string>;
    /** 303 to a path (plain forms), which htmx follows as well. */
    seeOther(path: string): FastifyReply;
  }
  interface FastifyContextConfig {
    /** Reachable without signing in. */
    public?: boolean;
    /** Reachable while the user must still change their password. */
    allowPendingPasswordChange?: boolean;
    /** Skip session loading entirely (assets, health check). */
    skipSession?: boolean;
    /**
     * The answer holds nothing read from the database (a static asset): group commit does not hold
     * it until the write batch open meanwhile has committed (src/plugins/group-commit.ts).
     */
    readsNoData?: boolean;
  }
}
