/**
 * Device token hash → device id, for a short time. Every agent call authenticates; this saves the lookup for
 * devices that report often. Re-enrollment invalidates the device's entry here at once; another server instance
 * (PostgreSQL deployments) may accept the replaced token for at most `ttlMs` — from the same machine that holds
 * the new one, so nothing is gained by stealing it.
 */
export class TokenCache {
  private readonly byHash = new Map<string, { deviceId: string; until: number }>();
  private readonly byDevice = new Map<string, string>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly max = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(hash: string): string | undefined {
    const hit = this.byHash.get(hash);
    if (!hit) return undefined;
    if (hit.until < this.now()) {
      this.drop(hash, hit.deviceId);
      return undefined;
    }
    return hit.deviceId;
  }

  set(hash: string, deviceId: string): void {
    this.forgetDevice(deviceId);
    if (this.byHash.size >= this.max) {
      const oldest = this.byHash.keys().next().value!;
      this.drop(oldest, this.byHash.get(oldest)!.deviceId);
    }
    this.byHash.set(hash, { deviceId, until: this.now() + this.ttlMs });
    this.byDevice.set(deviceId, hash);
  }

  forgetDevice(deviceId: string): void {
    const hash = this.byDevice.get(deviceId);
    if (hash !== undefined) this.drop(hash, deviceId);
  }

  private drop(hash: string, deviceId: string): void {
    this.byHash.delete(hash);
    if (this.byDevice.get(deviceId) === hash) this.byDevice.delete(deviceId);
  }
}
