/**
 * A memo that lets go of its entries once nothing has used it for a while.
 * Within a run, and runs back to back, every lookup still hits; a process
 * that has moved on (the TUI, a notebook, the next bench case) gets the
 * memory back instead of keeping it in the old space, where every major GC
 * marks it again. A count limit alone did not do that: workflow's 64
 * compiled charts held 104 MB after `bench horizon`, and the one mark-compact
 * of `bench llm` in `npm run bench` then cost the main thread about 1 s.
 *
 * Values must be pure functions of their key: dropping one changes speed
 * only, never a result. The timer is unref'd, so a memo never keeps a
 * process alive.
 */

/** How long an unused memo keeps its entries: longer than the gaps between rollouts' resets, short next to a session. */
export const MEMO_IDLE_MS = 10_000;

export class IdleMemo<K, V> {
  private readonly map = new Map<K, V>();
  private usedAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `limit`: entries kept at most in between, the oldest dropped first. */
  constructor(
    private readonly limit: number,
    readonly idleMs: number = MEMO_IDLE_MS,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) this.touch();
    return v;
  }

  set(key: K, value: V): void {
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
    this.touch();
  }

  clear(): void {
    this.map.clear();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One timer at a time, re-armed for the rest of the idle time when it finds the memo used since. */
  private touch(): void {
    this.usedAt = performance.now();
    if (this.timer === null) this.arm(this.idleMs);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.expire, ms);
    this.timer.unref?.();
  }

  private readonly expire = (): void => {
    this.timer = null;
    const idle = performance.now() - this.usedAt;
    if (idle >= this.idleMs) this.map.clear();
    else this.arm(this.idleMs - idle);
  };
}
