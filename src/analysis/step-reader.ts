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
import { corruptLine, forEachLine, nestedEnd, stringEnd } from '../log/index.js';
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

const HEAD = Buffer.from('{"rollout":"', 'latin1');
const K_T = Buffer.from(',"t":', 'latin1');
const K_ACTION = Buffer.from(',"action":', 'latin1');
const K_ORACLE = Buffer.from(',"oracle":', 'latin1');
const K_OBS = Buffer.from(',"obs":', 'latin1');
const K_STATE = Buffer.from(',"state":', 'latin1');
const K_REWARD = Buffer.from(',"reward":', 'latin1');
const K_PATCHES = Buffer.from(',"patches":', 'latin1');
/** The keys of WANTED[5..7] as they follow a previous field. */
const TRAILING = ['measure', 'target', 'features'].map((k) => Buffer.from(`,"${k}":`, 'latin1'));

/** Whether `key` starts at b[p] (a byte past the line is a newline or undefined: never a key byte). */
function at(b: Buffer, p: number, key: Buffer): boolean {
  for (let i = 0; i < key.length; i++) if (b[p + i] !== key[i]) return false;
  return true;
}

/** A byte inside an array of numbers: digits, sign, point, exponent, comma, whitespace. */
const isArrayByte = (c: number) => (c >= 48 && c <= 57) || c === COMMA || c === 45 || c === 43 || c === 46 || c === 101 || c === 69 || c === 32;

/** Where the last `intAt` stopped. */
let numEnd = 0;

/**
 * A non-negative integer of up to 15 digits at p (exact), ending where no
 * number byte follows; sets `numEnd` (left at p when there is none).
 */
function intAt(b: Buffer, p: number, end: number): number {
  let v = 0;
  let q = p;
  while (q < end) {
    const d = b[q] - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    q++;
  }
  numEnd = q === p || q - p > 15 || (q < end && isNumChar(b[q])) ? p : q;
  return v;
}

/**
 * The array of numbers in b[open..close) (`[` at open, `]` at close − 1),
 * into `out`: integers from the bytes, anything else through Number, which
 * rounds as JSON.parse does. Null when it is not one.
 */
function numbersIn(b: Buffer, open: number, close: number, out: number[]): number[] | null {
  let n = 0;
  let p = open + 1;
  const last = close - 1;
  if (p === last) {
    if (out.length !== 0) out.length = 0;
    return out;
  }
  for (;;) {
    const neg = b[p] === 45;
    const from = neg ? p + 1 : p;
    let v = intAt(b, from, last);
    let q = numEnd;
    if (q === from) {
      q = from;
      while (q < last && b[q] !== COMMA) q++;
      v = Number(b.toString('latin1', p, q));
      // Number accepts what JSON does not (blanks, "Infinity", hex): only plain JSON numbers here.
      if (!Number.isFinite(v) || !JSON_NUMBER.test(b.toString('latin1', p, q))) return null;
    } else if (neg) v = -v;
    out[n++] = v;
    if (q === last) break;
    if (b[q] !== COMMA) return null;
    p = q + 1;
  }
  if (out.length !== n) out.length = n;
  return out;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

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


  /** Skip any JSON value starting at p (locals in the loops: a field store per byte is slow). */
  skipValue(): void {
    const b = this.b;
    const end = this.end;
    let p = this.p;
    const c = b[p];
    if (c === Q) {
      this.skipString();
      return;
    }
    if (c === LB || c === LS) {
      let depth = 0;
      while (p < end) {
        const d = b[p];
        if (d === Q) {
          // Inside a string: only the closing quote matters.
          p++;
          for (;;) {
            if (p >= end) throw FALLBACK;
            const e = b[p];
            if (e === Q) break;
            p += e === BS ? 2 : 1;
          }
        } else if (d === LB || d === LS) depth++;
        else if (d === RB || d === RS) {
          depth--;
          if (depth === 0) {
            this.p = p + 1;
            return;
          }
        }
        p++;
      }
      throw FALLBACK;
    }
    const start = p;
    while (p < end) {
      const d = b[p];
      if (isNumChar(d) || (d >= 97 && d <= 122)) p++;
      else break;
    }
    if (p === start) throw FALLBACK;
    this.p = p;
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

  /**
   * The writers' own layout (STEP_FIELD_ORDER, no whitespace), read without
   * walking every key: the leading fields forwards up to the patches, the
   * trailing number arrays (measure, target, features) backwards from the
   * closing brace, and the patches between them bracket-matched once. Loops
   * keep their position in locals (a field store per byte costs double).
   * False when the line is laid out any other way; `line` then reads it.
   */
  fast(b: Buffer, start: number, end: number): boolean {
    if (end - start < HEAD.length + 2 || !at(b, start, HEAD) || b[end - 1] !== RB) return false;
    const rec = this.rec;
    rec.clear();
    // The id: no escapes (an escaped quote would need the full reader).
    let p = start + HEAD.length;
    let q = p;
    while (q < end && b[q] !== Q && b[q] !== BS) q++;
    if (b[q] !== Q) return false;
    rec.rollout = this.ids.get(b, p, q);
    if (!at(b, q + 1, K_T)) return false;
    p = q + 1 + K_T.length;
    const t = intAt(b, p, end);
    if (numEnd === p) return false;
    rec.t = t;
    p = numEnd;
    if (!at(b, p, K_ACTION)) return false;
    p += K_ACTION.length;
    this.b = b;
    this.end = end;
    this.p = p;
    rec.action = this.value(this.actions, this.arrays[2]);
    p = this.p;
    if (at(b, p, K_ORACLE)) {
      this.p = p + K_ORACLE.length;
      rec.oracle = this.value(this.actions, this.arrays[3]);
      p = this.p;
    }
    if (at(b, p, K_OBS)) {
      p = stringEnd(b, p + K_OBS.length, end);
      if (p < 0) return false;
    }
    if (at(b, p, K_STATE)) {
      p += K_STATE.length;
      if (b[p] !== Q) return false;
      if (this.readState) {
        this.p = p;
        rec.state = this.value(null, this.arrays[4]);
        p = this.p;
      } else {
        p = stringEnd(b, p, end);
        if (p < 0) return false;
      }
    }
    if (at(b, p, K_REWARD)) {
      p += K_REWARD.length;
      q = p;
      while (q < end && isNumChar(b[q])) q++;
      if (q === p) return false;
      p = q;
    }
    const middle = p;
    // Backwards: the trailing number arrays, features before target before measure.
    let tail = end - 1;
    for (let k = 7; k >= 5; k--) {
      if (b[tail - 1] !== RS) break;
      q = tail - 2;
      while (q > middle && isArrayByte(b[q])) q--;
      if (b[q] !== LS) break;
      const key = TRAILING[k - 5];
      const ks = q - key.length;
      if (ks < middle || !at(b, ks, key)) continue;
      const arr = numbersIn(b, q, tail, this.arrays[k]);
      if (arr === null) return false;
      rec.set(k, arr);
      tail = ks;
    }
    // Between them nothing, or the patches and nothing else.
    if (middle !== tail) {
      if (!at(b, middle, K_PATCHES)) return false;
      p = middle + K_PATCHES.length;
      const c = b[p];
      if (c !== LS && c !== LB) return false;
      if (nestedEnd(b, p, tail) !== tail) return false;
    }
    return true;
  }

  /** The record `fast` filled. */
  get record(): StepLine {
    return this.rec as unknown as StepLine;
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
export interface StepReadOptions {
  /** Materialise `state` (default true). */
  readonly readState?: boolean;
  /** Counts lines by the reader that took them (tests check the fast path is the one taken). */
  readonly stats?: { fast: number; general: number; parsed: number };
}

export async function readStepLines(file: string, onStep: (rec: StepLine, line: number) => void, onTorn: (line: number) => void, options: StepReadOptions = {}): Promise<void> {
  const scanner = new Scanner(options.readState ?? true);
  const stats = options.stats;
  await forEachLine(file, (buf, start, end, lineNo, _offset, isLast) => {
    let s = start;
    while (s < end && isWs(buf[s])) s++;
    if (s === end) return;
    let rec: StepLine;
    try {
      // A final line without newline may be torn: the full reader judges it.
      if (!isLast && scanner.fast(buf, s, end)) {
        rec = scanner.record;
        if (stats) stats.fast++;
      } else {
        rec = scanner.line(buf, s, end);
        if (stats) stats.general++;
      }
    } catch {
      if (stats) stats.parsed++;
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
