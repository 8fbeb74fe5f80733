import { useEffect, useState } from 'react';

import { formatDateTime, formatRelative } from '../lib/format';

/** "3 hours ago", with the exact time on hover and for machines; refreshes every minute. */
export function RelativeTime({ iso, timeZone }: { iso: string; timeZone?: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 30_000);
    return () => window.clearInterval(timer);
  }, []);
  return (
    <time dateTime={iso} title={formatDateTime(iso, timeZone)}>
      {formatRelative(iso, now)}
    </time>
  );
}
