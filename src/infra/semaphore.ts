/**
 * Lets work through while what it holds fits in a capacity: analysis threads,
 * or bytes of mail being analysed. Whatever fits goes at once, waiters in
 * arrival order: small mail keeps flowing while a large one waits for room.
 * A request larger than the whole capacity still passes, alone.
 */
export class Semaphore {
  private used = 0;
  private readonly waiting: Array<{ units: number; grant: () => void }> = [];

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`semaphore capacity must be positive, got ${capacity}`);
  }

  /** Waits for room for `units`; resolves to the release, which may be called more than once. */
  async acquire(units = 1): Promise<() => void> {
    const want = Math.min(Math.max(units, 0), this.capacity);
    if (this.fits(want)) this.used += want;
    else await new Promise<void>((grant) => this.waiting.push({ units: want, grant }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= want;
      this.wake();
    };
  }

  private fits(units: number): boolean {
    return this.used === 0 || this.used + units <= this.capacity;
  }

  private wake(): void {
    for (let i = 0; i < this.waiting.length; ) {
      const next = this.waiting[i] as (typeof this.waiting)[number];
      if (!this.fits(next.units)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.used += next.units;
      next.grant();
    }
  }
}
