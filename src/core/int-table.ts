/**
 * Nonzero Int32 key → Int32 value by open addressing: for interning the
 * integer actions that dominate numeric environments, where a Map keyed by
 * numbers computed as doubles costs several times more per lookup. 0 marks
 * an empty slot, so 0 is never a key (callers send it elsewhere).
 */
export class IntTable {
  private keys = new Int32Array(64);
  private values = new Int32Array(64);
  private count = 0;

  private slot(key: number): number {
    const mask = this.keys.length - 1;
    let i = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;
    while (this.keys[i] !== 0 && this.keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  /** The value of `key`, or −1 when absent (values are ≥ 0 by convention). */
  get(key: number): number {
    const i = this.slot(key);
    return this.keys[i] === key ? this.values[i] : -1;
  }

  /** Set `key` (a nonzero int32) to `value`. */
  set(key: number, value: number): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const i = this.slot(key);
    if (this.keys[i] !== key) this.count++;
    this.keys[i] = key;
    this.values[i] = value;
  }

  get size(): number {
    return this.count;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.values = new Int32Array(keys.length * 2);
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i], values[i]);
  }
}
