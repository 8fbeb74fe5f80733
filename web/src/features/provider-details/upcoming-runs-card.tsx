import type { Provider } from '../../api/types';
import { formatRunTime } from '../../lib/format';

/** The next five times the schedule fires, in the district's time zone, each saying if a blackout skips it. */
export function UpcomingRunsCard({ provider }: { provider: Provider }) {
  return (
    <section className="card" aria-labelledby="upcoming-title">
      <h2 id="upcoming-title">Upcoming runs</h2>
      {!provider.enabled ? (
        <p className="muted">None: the integration is disabled. Enable it to resume its schedule.</p>
      ) : provider.syncSchedule === null ? (
        <p className="muted">None: this integration has no schedule and syncs only when started by hand.</p>
      ) : provider.upcomingRuns.length === 0 ? (
        <p className="muted">The schedule does not fire in the next year.</p>
      ) : (
        <ol className="plain-list upcoming-runs">
          {provider.upcomingRuns.map((run) => (
            <li key={run.at}>
              <time dateTime={run.at}>{formatRunTime(run.at, provider.syncTimezone)}</time>
              {run.skipped === null ? (
                <span className="muted">Runs</span>
              ) : (
                <span className="upcoming-runs__skipped">Skipped: {run.skipped}</span>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
