/** The account-wide RDS API rate limit: a token bucket shared by every caller. */

export interface ThrottleConfig {
  enabled: boolean;
  /** Bucket size: requests that may pass at once. */
  burst: number;
  /** Sustained rate: tokens added per second. */
  refillPerSecond: number;
  /** When true the refill follows the emulator's timeScale (faster with small scales); off by default. */
  timeScaled: boolean;
}

export const DEFAULT_THROTTLE: ThrottleConfig = {
  enabled: true,
  burst: 300,
  refillPerSecond: 12,
  timeScaled: false,
};

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private config: ThrottleConfig,
    private readonly timeScale: () => number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = config.burst;
    this.last = now();
  }

  get settings(): ThrottleConfig {
    return { ...this.config };
  }

  configure(patch: Partial<ThrottleConfig>): void {
    this.refill();
    this.config = { ...this.config, ...patch };
    this.tokens = Math.min(this.tokens, this.config.burst);
  }

  /** Fills the bucket back up. */
  reset(): void {
    this.tokens = this.config.burst;
    this.last = this.now();
  }

  /** Takes one token; false when the request must be throttled. */
  take(): boolean {
    if (!this.config.enabled) return true;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.now();
    const elapsedS = (now - this.last) / 1000;
    this.last = now;
    const speed = this.config.timeScaled ? 1 / this.timeScale() : 1;
    this.tokens = Math.min(this.config.burst, this.tokens + elapsedS * this.config.refillPerSecond * speed);
  }
}
