/**
 * Named instants for tests. A test that needs "now" takes one of these (or
 * builds its own from them) and passes it to the app or domain as a clock;
 * nothing in a test reads the machine's date for business time, so the suite
 * gives the same answers on any day and in any time zone (`npm run
 * test:clocks` runs it with the system clock moved to check exactly that).
 */
export const instants = {
  /** 2026-11-23 10:00 in Shanghai (02:00 UTC), a Monday: the default "now" of the suite. */
  suiteDefault: Date.UTC(2026, 10, 23, 2, 0, 0),
  /** 2026-01-15 10:00 in Shanghai: the ledger tests' start. */
  ledgerStart: Date.UTC(2026, 0, 15, 2, 0, 0),
} as const;

/** A clock tests can move: `clock.advance(16 * 60_000)` expires an access token. */
export class TestClock {
  nowMs: number;
  constructor(startMs: number = instants.suiteDefault) {
    this.nowMs = startMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
  readonly now = (): number => this.nowMs;
}
