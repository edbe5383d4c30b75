/** A token bucket: up to `burst` takes at once, then one more every `refillMs`. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly limit: { burst: number; refillMs: number },
    now = Date.now(),
  ) {
    this.tokens = limit.burst;
    this.at = now;
  }

  /** When a token is there: a time not after `now` means at once. */
  availableAt(now = Date.now()): number {
    this.refill(now);
    return this.tokens >= 1 ? now : now + (1 - this.tokens) * this.limit.refillMs;
  }

  /** Uses a token; one taken while none was there (work that came due anyway) leaves the bucket empty. */
  take(now = Date.now()): void {
    this.refill(now);
    this.tokens = Math.max(0, this.tokens - 1);
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.limit.burst, this.tokens + (now - this.at) / this.limit.refillMs);
    this.at = now;
  }
}
