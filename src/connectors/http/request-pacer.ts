/**
 * Spaces the requests of one provider connection: at most `requestsPerSecond` starts per
 * second, and none at all while the provider said to hold off (its rate-limit bucket is empty).
 * One pacer per HTTP client, so all the requests of one provider share it.
 */
export class RequestPacer {
  private nextStart = 0;
  private heldUntil = 0;

  constructor(
    private readonly requestsPerSecond: number | null,
    private readonly now: () => number,
    private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  ) {}

  /** No request starts before `until` (milliseconds since the epoch). */
  holdUntil(until: number): void {
    this.heldUntil = Math.max(this.heldUntil, until);
  }

  /** Resolves when the next request may start, and books its slot. */
  async take(signal: AbortSignal): Promise<void> {
    const now = this.now();
    const interval = this.requestsPerSecond === null ? 0 : 1000 / this.requestsPerSecond;
    const start = Math.max(now, this.nextStart, this.heldUntil);
    this.nextStart = start + interval;
    if (start > now) await this.sleep(start - now, signal);
  }
}
