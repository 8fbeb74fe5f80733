import { useId } from 'react';

import type { Run } from '../../api/types';
import { formatCount, formatDateTime, formatShortDate, formatShortTime } from '../../lib/format';
import { runTime, runTotals } from '../../lib/run-totals';

interface Point {
  run: Run;
  at: string;
  changes: number;
  errors: number;
}

const WIDTH = 720;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 16, bottom: 32, left: 52 };

/** The smallest "round" number (1, 2, 2.5, 5 × 10^n) at or above `max`, for the top of the axis. */
function niceMax(max: number): number {
  if (max <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= max) ?? 10;
  return step * magnitude;
}

/** The runs the chart shows, oldest first: applied runs only (no dry, skipped or unfinished ones). */
export function chartPoints(runs: readonly Run[]): Point[] {
  return runs
    .filter((run) => !run.dryRun && run.finishedAt !== null && run.status !== 'SKIPPED')
    .map((run) => {
      const totals = runTotals(run);
      return { run, at: runTime(run), changes: totals.changes, errors: totals.errors };
    })
    .sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * Changes (created + updated + deactivated) as bars and errors as a line, per run over time,
 * hand-drawn in SVG; the same numbers are available as a table for screen readers and keyboards.
 */
export function ChangesChart({ runs }: { runs: readonly Run[] }) {
  const titleId = useId();
  const descId = useId();
  const points = chartPoints(runs);
  if (points.length === 0) {
    return <p className="muted">The chart appears once a sync has applied changes.</p>;
  }

  const top = niceMax(Math.max(...points.map((p) => Math.max(p.changes, p.errors))));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotWidth / points.length;
  const barWidth = Math.max(2, Math.min(36, slot * 0.6));
  const x = (i: number) => MARGIN.left + slot * i + slot / 2;
  const y = (v: number) => MARGIN.top + plotHeight - (v / top) * plotHeight;
  const ticks = [0, top / 4, top / 2, (3 * top) / 4, top];
  const labelEvery = Math.ceil(points.length / 8);
  const spanMs =
    new Date(points[points.length - 1]?.at ?? 0).getTime() - new Date(points[0]?.at ?? 0).getTime();
  // Runs within two days of each other are told apart by their time, further apart by their date.
  const tickLabel = spanMs < 2 * 24 * 3600 * 1000 ? formatShortTime : formatShortDate;
  const errorPath = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(p.errors).toFixed(1)}`)
    .join(' ');
  const first = points[0];
  const last = points[points.length - 1];
  const summary =
    first === undefined || last === undefined
      ? ''
      : `${points.length} runs from ${formatDateTime(first.at)} to ${formatDateTime(last.at)}. ` +
        `Changes per run ranged from ${formatCount(Math.min(...points.map((p) => p.changes)))} to ${formatCount(Math.max(...points.map((p) => p.changes)))}; ` +
        `errors from ${formatCount(Math.min(...points.map((p) => p.errors)))} to ${formatCount(Math.max(...points.map((p) => p.errors)))}. ` +
        `The latest run made ${formatCount(last.changes)} changes with ${formatCount(last.errors)} errors.`;

  return (
    <figure className="chart">
      <figcaption>
        Changes (created, updated and deactivated records) and errors per sync run. Dry and skipped runs are
        left out.
      </figcaption>
      <div className="chart__legend" aria-hidden="true">
        <span>
          <span className="chart__swatch" style={{ background: 'var(--chart-changes)' }} />
          Changes
        </span>
        <span>
          <span className="chart__swatch" style={{ background: 'var(--chart-errors)' }} />
          Errors
        </span>
      </div>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${titleId} ${descId}`}>
        <title id={titleId}>Changes and errors per sync run</title>
        <desc id={descId}>{summary}</desc>
        {ticks.map((tick) => (
          <g key={tick}>
            <line
              className="chart__grid"
              x1={MARGIN.left}
              x2={WIDTH - MARGIN.right}
              y1={y(tick)}
              y2={y(tick)}
            />
            <text
              className="chart__axis"
              x={MARGIN.left - 8}
              y={y(tick)}
              textAnchor="end"
              dominantBaseline="middle"
            >
              {formatCount(tick)}
            </text>
          </g>
        ))}
        {points.map((p, i) => (
          <rect
            key={p.run.id}
            className="chart__changes"
            x={x(i) - barWidth / 2}
            y={y(p.changes)}
            width={barWidth}
            height={Math.max(0, y(0) - y(p.changes))}
          >
            <title>{`${formatDateTime(p.at)}: ${formatCount(p.changes)} changes, ${formatCount(p.errors)} errors`}</title>
          </rect>
        ))}
        <path className="chart__errors" d={errorPath} />
        {points.map((p, i) => (
          <circle key={p.run.id} className="chart__error-point" cx={x(i)} cy={y(p.errors)} r={3} />
        ))}
        {points.map((p, i) =>
          i % labelEvery === 0 ? (
            <text key={p.run.id} className="chart__axis" x={x(i)} y={HEIGHT - 10} textAnchor="middle">
              {tickLabel(p.at)}
            </text>
          ) : null,
        )}
      </svg>
      <details className="disclosure chart__data">
        <summary>Show the chart data as a table</summary>
        <table className="table">
          <caption className="visually-hidden">Changes and errors per sync run, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Run started</th>
              <th scope="col" className="numeric">
                Changes
              </th>
              <th scope="col" className="numeric">
                Errors
              </th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.run.id}>
                <th scope="row">{formatDateTime(p.at)}</th>
                <td className="numeric">{formatCount(p.changes)}</td>
                <td className="numeric">{formatCount(p.errors)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
