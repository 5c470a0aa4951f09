import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/client.ts';
import { expireUnreviewed } from '../domain/hours/review.ts';
import { publishCheckpoint } from '../domain/bookkeeping/signed-checkpoints.ts';
import type { CheckpointKeys } from '../lib/checkpoint-key.ts';
import { drainReports } from '../domain/reports/refresh.ts';
import { recordFullVerification, verifyInBackground, type BackgroundVerification } from '../domain/bookkeeping/verification.ts';
import { awardDueStars } from '../domain/stars/office.ts';
import { proposeAllDueStars } from '../domain/stars/proposals.ts';
import { sweepExpired } from '../domain/redemption/counter-core.ts';
import { msUntilShanghaiHour } from '../lib/time.ts';
import type { Secrets } from '../lib/secrets.ts';
import { sendDueSms } from '../domain/messages/sms-sender.ts';
import { remindOverdueReviews, remindOverdueVisits } from '../domain/messages/reminders.ts';
import type { SmsTransport } from '../domain/messages/transports.ts';

/**
 * The app's background work, in one place: every timer the server runs.
 * Requests never do this work (a GET writes nothing); the pages read an
 * overdue basket as expired until the sweep closes it.
 *
 * - expireBaskets: abandoned counter baskets (their 15-minute holds are voided, stock released), every minute
 * - expireHours: service records left unreviewed longer than the policy allows, at start and every 15 minutes
 * - checkpoint: a signed ledger checkpoint when the hash chain has grown, at start and every hour
 * - refreshReports: the report aggregates brought up to the ledger's head (in slices), every 30 seconds
 * - stars: star proposals the approvals did not make (card-confirmed records, completed requests, a new policy), and stars whose public notice is over with no open objection awarded, at start and every 15 minutes
 * - verifyLedger: a full verification in a child process, at start and nightly at 03:00 Shanghai time
 * - sendSms: due SMS of the outbox claimed and sent (none in quiet hours), every 30 seconds
 * - remindReviews / remindVisits: coordinators told of records waiting for review (daily) and elders due a visit (weekly), hourly (idempotent per period)
 *
 * Jobs start when the server listens and stop when it closes. They are off
 * unless the app is built with `jobs` (server.ts does; tests ask for them),
 * and each can be run once by name (`app.jobs.run('expireBaskets')`).
 */

export type JobName = 'expireBaskets' | 'expireHours' | 'checkpoint' | 'refreshReports' | 'stars' | 'sendSms' | 'remindReviews' | 'remindVisits';

export interface JobsOptions {
  /** The database file, for the full verification's child process; without it that job does not run. */
  databasePath?: string;
}

export interface Jobs {
  /** Runs one job now, on the app's clock; answers how many things it changed. */
  run(name: JobName): Promise<number>;
  /** The jobs whose timers are running now (none before listening and after closing). */
  scheduled(): JobName[];
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: Jobs;
  }
}

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const intervals: Record<JobName, number> = {
  expireBaskets: minuteMs, expireHours: 15 * minuteMs, checkpoint: hourMs, refreshReports: 30_000, stars: 15 * minuteMs, sendSms: 30_000, remindReviews: hourMs, remindVisits: hourMs,
};
/** What the log says when a job changed something (the reports refresh runs too often to log). */
const doneMessages: Record<JobName, string | null> = {
  expireBaskets: 'expired abandoned counter baskets', expireHours: 'expired unreviewed service records', checkpoint: 'ledger checkpoint recorded', refreshReports: null,
  stars: 'star proposals made or stars awarded', sendSms: 'SMS sent', remindReviews: 'review reminders written', remindVisits: 'visit reminders written',
};
/** Jobs that also run once as the server starts listening. */
const atStart: readonly JobName[] = ['expireHours', 'checkpoint', 'stars', 'remindReviews', 'remindVisits'];

/** The work of each job, on the app's database and clock. */
export function jobWork(db: Db, secrets: Secrets, clock: () => number, checkpointKeys: CheckpointKeys, sms: SmsTransport): Record<JobName, () => number | Promise<number>> {
  return {
    sendSms: () => sendDueSms({ db, now: clock }, sms),
    remindReviews: () => remindOverdueReviews({ db, now: clock }),
    remindVisits: () => remindOverdueVisits({ db, now: clock }),
    expireBaskets: () => sweepExpired({ db, keys: secrets, now: clock }),
    expireHours: () => expireUnreviewed({ db, now: clock }).length,
    checkpoint: () => (publishCheckpoint(db.$client, checkpointKeys, clock()) ? 1 : 0),
    refreshReports: () => drainReports(db.$client, clock),
    stars: () => proposeAllDueStars({ db, now: clock }) + awardDueStars({ db, now: clock }),
  };
}

/** Registers the jobs on the app: `app.jobs` always; timers only when `options` is given. */
export function installJobs(app: FastifyInstance, options: JobsOptions | undefined): void {
  const work = jobWork(app.db, app.secrets, app.clock, app.checkpointKeys, app.smsTransport);
  const timers = new Map<JobName, NodeJS.Timeout>();
  app.decorate('jobs', { run: async (name: JobName) => work[name](), scheduled: () => [...timers.keys()] });
  if (!options) return;
  const verification = nightlyVerification(app, options.databasePath);
  app.addHook('onListen', async () => {
    for (const name of Object.keys(intervals) as JobName[]) {
      const runLogged = () => runAndLog(app, name, work[name]);
      if (atStart.includes(name)) runLogged();
      const timer = setInterval(runLogged, intervals[name]);
      timer.unref();
      timers.set(name, timer);
    }
    verification.start();
  });
  app.addHook('preClose', async () => {
    for (const timer of timers.values()) clearInterval(timer);
    timers.clear();
    verification.stop();
  });
}

function runAndLog(app: FastifyInstance, name: JobName, work: () => number | Promise<number>): void {
  const failed = (error: unknown) => app.log.error({ err: error, job: name }, 'background job failed');
  try {
    void Promise.resolve(work()).then((changed) => {
      const message = doneMessages[name];
      if (changed > 0 && message) app.log.info({ job: name, changed }, message);
    }, failed);
  } catch (error) {
    failed(error);
  }
}

/**
 * A full verification of the ledger (every balance and the whole hash chain)
 * right after start and every night at 03:00 Shanghai time, in a child
 * process so requests go on; /transparency shows its time and verdict.
 */
function nightlyVerification(app: FastifyInstance, databasePath: string | undefined): { start(): void; stop(): void } {
  let running: BackgroundVerification | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const verifyNow = () => {
    if (running || stopped || !databasePath) return;
    const current = verifyInBackground(databasePath, app.clock());
    running = current;
    current.done.then((result) => {
      recordFullVerification(app.db.$client, result);
      if (result.ok) app.log.info({ transfers: result.transfers, durationMs: result.durationMs }, 'ledger fully verified: ok');
      else app.log.error({ firstBadSeq: result.firstBadSeq, problem: result.problem }, 'ledger full verification FAILED');
    }).catch((error: unknown) => {
      if (!stopped) app.log.error({ err: error }, 'ledger full verification could not run');
    }).finally(() => {
      running = undefined;
    });
  };
  const scheduleNightly = () => {
    timer = setTimeout(() => {
      verifyNow();
      scheduleNightly();
    }, msUntilShanghaiHour(app.clock(), 3));
    timer.unref();
  };
  return {
    start() {
      if (!databasePath) return;
      setImmediate(verifyNow);
      scheduleNightly();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      running?.stop();
    },
  };
}
