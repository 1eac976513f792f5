/**
 * Nonzero Int32 key → Int32 value by open addressing: for interning the
 * integer actions that dominate numeric environments, where a Map keyed by
 * numbers computed as doubles costs several times more per lookup. 0 marks
 * an empty slot, so 0 is never a key (callers send it elsewhere).
 *
 * A key and its value share one slot of one array, and a key's home slot is
 * its low bits (the high half folded in): numeric actions move in small
 * steps (kv-sum's running sums), so lookups stay near the last one, in
 * cache, even with 10⁵ distinct keys.
 */
export class IntTable {
  /** [key, value] pairs. */
  private slots = new Int32Array(128);
  private count = 0;

  private find(key: number): number {
    const mask = (this.slots.length >> 1) - 1;
    let i = (key ^ (key >>> 16)) & mask;
    const s = this.slots;
    for (;;) {
      const k = s[2 * i];
      if (k === key || k === 0) return i;
      i = (i + 1) & mask;
    }
  }

  /** The value of `key`, or −1 when absent (values are ≥ 0 by convention). */
  get(key: number): number {
    const i = this.find(key);
    return this.slots[2 * i] === key ? this.slots[2 * i + 1] : -1;
  }

  /** Set `key` (a nonzero int32) to `value`. */
  set(key: number, value: number): void {
    if ((this.count + 1) * 4 > this.slots.length) this.grow();
    const i = this.find(key);
    if (this.slots[2 * i] !== key) this.count++;
    this.slots[2 * i] = key;
    this.slots[2 * i + 1] = value;
  }

  get size(): number {
    return this.count;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.set(old[i], old[i + 1]);
  }
}
