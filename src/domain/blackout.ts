/**
 * A blackout window: whole local days (in the provider's time zone), first and last included,
 * in which scheduled runs are skipped and recorded as skipped. Manual runs still go.
 * Districts set one over the school-year rollover, while the SIS holds half a new year.
 */
export interface BlackoutWindow {
  /** First day, `YYYY-MM-DD`. */
  start: string;
  /** Last day, `YYYY-MM-DD`, on or after `start`. */
  end: string;
  /** Why, for the admin and the skipped run's message ("summer rollover"). */
  reason: string | null;
}
