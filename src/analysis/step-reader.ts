/**
 * The hot path of `analyze`: steps.jsonl read as bytes in large chunks and
 * scanned line by line without decoding whole lines or building objects for
 * fields the analysis never reads (patches, timing, info…). Only the fields
 * of `StepLine` are materialised.
 *
 * Contract: for every line the scanner accepts, the fields it returns equal
 * what JSON.parse would give. Any line it does not recognise (unusual
 * escapes in keys, malformed structure, a torn line) falls back to
 * JSON.parse, which reports a corrupt line with its file and number. Values
 * of fields that are skipped are bracket-matched, not validated.
 */
import { corruptLine, forEachLine } from '../log/index.js';
import type { StepLine } from './step-store.js';

const Q = 34; // "
const BS = 92; // \
const LB = 123; // {
const RB = 125; // }
const LS = 91; // [
const RS = 93; // ]
const COMMA = 44;
const COLON = 58;
const NL = 10;

const WANTED = ['rollout', 't', 'action', 'oracle', 'state', 'measure', 'target', 'features', 'replayed'] as const;
const WANTED_BYTES = WANTED.map((k) => Buffer.from(k, 'latin1'));
/** Wanted keys are told apart by (length, first byte); the rest of the bytes is then checked. */
const KEY_TABLE = new Int8Array(32 * 256).fill(-1);
WANTED_BYTES.forEach((w, k) => (KEY_TABLE[w.length * 256 + w[0]] = k));

/**
 * Recently seen short strings by their bytes: a rollout's id repeats on
 * every one of its lines and actions come from small sets, so most string
 * values are found here instead of being decoded again.
 */
class StringCache {
  private readonly bytes: Buffer[] = [];
  private readonly strings: string[] = [];
  private last = 0;
  private next = 0;
  constructor(private readonly size: number) {}
  get(b: Buffer, s: number, e: number): string {
    const len = e - s;
    const n = this.bytes.length;
    for (let i = 0; i < n; i++) {
      const k = (this.last + i) % n;
      const w = this.bytes[k];
      if (w.length !== len) continue;
      let j = 0;
      while (j < len && b[s + j] === w[j]) j++;
      if (j === len) {
        this.last = k;
        return this.strings[k];
      }
    }
    const str = b.toString('utf8', s, e);
    if (len <= 64) {
      const slot = n < this.size ? n : this.next++ % this.size;
      this.bytes[slot] = Buffer.from(b.subarray(s, e));
      this.strings[slot] = str;
      this.last = slot;
    }
    return str;
  }
}

const isWs = (c: number) => c === 32 || c === 9 || c === 13 || c === NL;
const isNumChar = (c: number) => (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;

/** The reused record: a fixed shape, so the consumer's property reads stay monomorphic. */
class ScannedStep {
  rollout: unknown = undefined;
  t: unknown = undefined;
  action: unknown = undefined;
  oracle: unknown = undefined;
  state: unknown = undefined;
  measure: unknown = undefined;
  target: unknown = undefined;
  features: unknown = undefined;
  replayed: unknown = undefined;
  clear(): void {
    this.rollout = this.t = this.action = this.oracle = this.state = undefined;
    this.measure = this.target = this.features = this.replayed = undefined;
  }
  /** Set the field WANTED[k]. */
  set(k: number, v: unknown): void {
    switch (k) {
      case 0: this.rollout = v; break;
      case 1: this.t = v; break;
      case 2: this.action = v; break;
      case 3: this.oracle = v; break;
      case 4: this.state = v; break;
      case 5: this.measure = v; break;
      case 6: this.target = v; break;
      case 7: this.features = v; break;
      default: this.replayed = v;
    }
  }
}

/** Thrown inside the scanner to fall back to JSON.parse; never escapes this module. */
const FALLBACK = Symbol('fallback');

class Scanner {
  /** `readState`: materialise `state` (skipped when the analysis uses features instead). */
  constructor(private readonly readState: boolean) {}
  /**
   * One record and one number array per field, reused line after line: the
   * hot path allocates almost nothing. Absent fields are undefined.
   */
  private readonly rec = new ScannedStep();
  private readonly arrays: number[][] = WANTED.map(() => []);
  private readonly ids = new StringCache(4);
  private readonly actions = new StringCache(16);
  b: Buffer = Buffer.alloc(0);
  p = 0;
  end = 0;

  ws(): void {
    while (this.p < this.end && isWs(this.b[this.p])) this.p++;
  }

  /** Skip a string starting at p (on the quote); returns whether it had a backslash. */
  skipString(): boolean {
    const b = this.b;
    const end = this.end;
    let p = this.p + 1;
    let escaped = false;
    for (;;) {
      if (p >= end) throw FALLBACK;
      const c = b[p];
      if (c === Q) break;
      if (c === BS) {
        escaped = true;
        p += 2;
      } else p++;
    }
    this.p = p + 1;
    return escaped;
  }


  /** Skip any JSON value starting at p. */
  skipValue(): void {
    const b = this.b;
    const c = b[this.p];
    if (c === Q) {
      this.skipString();
      return;
    }
    if (c === LB || c === LS) {
      let depth = 0;
      while (this.p < this.end) {
        const d = b[this.p];
        if (d === Q) {
          this.skipString();
          continue;
        }
        if (d === LB || d === LS) depth++;
        else if (d === RB || d === RS) {
          depth--;
          if (depth === 0) {
            this.p++;
            return;
          }
        }
        this.p++;
      }
      throw FALLBACK;
    }
    const start = this.p;
    while (this.p < this.end) {
      const d = b[this.p];
      if (isNumChar(d) || (d >= 97 && d <= 122)) this.p++;
      else break;
    }
    if (this.p === start) throw FALLBACK;
  }

  /** The value at p, materialised as JSON.parse would. */
  /** `out`: an array to reuse when the value is an array of numbers. */
  value(cache: StringCache | null, out: number[]): unknown {
    const b = this.b;
    const start = this.p;
    const c = b[start];
    if (c === Q) {
      const escaped = this.skipString();
      if (escaped) return JSON.parse(b.toString('utf8', start, this.p));
      return cache ? cache.get(b, start + 1, this.p - 1) : b.toString('utf8', start + 1, this.p - 1);
    }
    if (c === LS) return this.numberArray(out);
    if (c === 45 || (c >= 48 && c <= 57)) return this.number();
    this.skipValue();
    return JSON.parse(b.toString('utf8', start, this.p));
  }

  /**
   * A number at p. Integers of up to 15 digits are computed from the bytes
   * (exact); anything else (fractions, exponents) goes through Number, which
   * rounds exactly as JSON.parse does.
   */
  number(): number {
    const b = this.b;
    const start = this.p;
    let p = start;
    const neg = b[p] === 45;
    if (neg) p++;
    let v = 0;
    const digits = p;
    while (p < this.end) {
      const d = b[p] - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
      p++;
    }
    const n = p - digits;
    if (n > 0 && n <= 15 && (p >= this.end || !isNumChar(b[p]))) {
      this.p = p;
      return neg ? -v : v;
    }
    while (p < this.end && isNumChar(b[p])) p++;
    this.p = p;
    const x = Number(b.toString('latin1', start, p));
    if (Number.isNaN(x)) throw FALLBACK;
    return x;
  }

  /** An array of numbers parsed in place; anything else through JSON.parse. */
  numberArray(out: number[]): unknown {
    const b = this.b;
    const start = this.p;
    let n = 0;
    this.p++;
    this.ws();
    if (b[this.p] === RS) {
      this.p++;
      if (out.length !== 0) out.length = 0;
      return out;
    }
    for (;;) {
      this.ws();
      const first = b[this.p];
      if (!(first === 45 || (first >= 48 && first <= 57))) {
        this.p = start;
        this.skipValue();
        return JSON.parse(b.toString('utf8', start, this.p));
      }
      out[n++] = this.number();
      this.ws();
      const d = b[this.p++];
      if (d === RS) {
        // Setting length is a runtime call: only when it changes.
        if (out.length !== n) out.length = n;
        return out;
      }
      if (d !== COMMA) throw FALLBACK;
    }
  }


  /** Which wanted key the string at [s, e) is, or -1. */
  keyIndex(s: number, e: number): number {
    const len = e - s;
    if (len >= 32) return -1;
    const k = KEY_TABLE[len * 256 + this.b[s]];
    if (k < 0) return -1;
    const w = WANTED_BYTES[k];
    for (let i = 1; i < len; i++) if (this.b[s + i] !== w[i]) return -1;
    return k;
  }

  /** Scan one line [start, end) into a StepLine. Throws FALLBACK when it cannot. */
  line(b: Buffer, start: number, end: number): StepLine {
    this.b = b;
    this.p = start;
    this.end = end;
    const rec = this.rec;
    rec.clear();
    this.ws();
    if (b[this.p++] !== LB) throw FALLBACK;
    this.ws();
    if (b[this.p] === RB) this.p++;
    else
      for (;;) {
        this.ws();
        if (b[this.p] !== Q) throw FALLBACK;
        const ks = this.p + 1;
        if (this.skipString()) throw FALLBACK;
        const k = this.keyIndex(ks, this.p - 1);
        this.ws();
        if (b[this.p++] !== COLON) throw FALLBACK;
        this.ws();
        if (this.p >= end) throw FALLBACK;
        if (k >= 0 && (k !== 4 || this.readState)) rec.set(k, this.value(k === 0 ? this.ids : k === 2 || k === 3 ? this.actions : null, this.arrays[k]));
        else this.skipValue();
        this.ws();
        const d = b[this.p++];
        if (d === RB) break;
        if (d !== COMMA) throw FALLBACK;
      }
    this.ws();
    if (this.p !== end) throw FALLBACK;
    return rec as unknown as StepLine;
  }
}

/**
 * Stream the step lines of `file`: `onStep` gets each record and its
 * 1-based line number. The record and its arrays are reused for the next
 * line: copy what must outlive the callback. Blank lines are skipped; a torn final line (no
 * newline, not JSON) goes to `onTorn`; a corrupt line elsewhere is an error.
 */
export async function readStepLines(
  file: string,
  onStep: (rec: StepLine, line: number) => void,
  onTorn: (line: number) => void,
  options: { readState?: boolean } = {},
): Promise<void> {
  const scanner = new Scanner(options.readState ?? true);
  await forEachLine(file, (buf, start, end, lineNo, _offset, isLast) => {
    let s = start;
    while (s < end && isWs(buf[s])) s++;
    if (s === end) return;
    let rec: StepLine;
    try {
      rec = scanner.line(buf, s, end);
    } catch {
      // Anything the scanner cannot take (FALLBACK, or a value JSON.parse refused) is judged by JSON.parse on the whole line.
      const text = buf.toString('utf8', start, end);
      try {
        rec = JSON.parse(text) as StepLine;
      } catch {
        if (isLast) return onTorn(lineNo);
        throw corruptLine(file, lineNo, text);
      }
    }
    onStep(rec, lineNo);
  });
}
