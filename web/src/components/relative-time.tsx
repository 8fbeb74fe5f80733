import { useEffect, useState } from 'react';

import { formatDateTime, formatRelative } from '../lib/format';

interface RelativeTimeProps {
  iso: string;
  timeZone?: string;
  /** A moment known to be past (a last sync): a clock a little ahead of the browser's still says "just now". */
  past?: boolean;
}

/** "3 hours ago", with the exact time on hover and for machines; re-read every 30 seconds. */
export function RelativeTime({ iso, timeZone, past = false }: RelativeTimeProps) {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => setTick((t) => t + 1), 30_000);
    return () => window.clearInterval(timer);
  }, []);
  const now = Date.now();
  const at = past ? new Date(Math.min(new Date(iso).getTime(), now)).toISOString() : iso;
  return (
    <time dateTime={iso} title={formatDateTime(iso, timeZone)}>
      {formatRelative(at, now)}
    </time>
  );
}
