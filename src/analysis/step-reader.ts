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
import { closeSync, openSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { spawnThread } from '../core/index.js';
import { corruptLine, forEachLine, forEachLineSync, newReadBuffer, nextLineStart } from '../log/index.js';
import { KIND_ABSENT, KIND_JSON, KIND_NUMBER, KIND_STRING, stateNumber, VEC_ABSENT, VEC_SCALAR, type StepColumns, type StepLine } from './step-store.js';

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
 * Recently seen short values by their bytes: a rollout's id repeats on
 * every one of its lines and actions come from small sets, so most string
 * (and object: hanoi's moves) values are found here instead of being
 * decoded or parsed again. A value found here is the one decoded before:
 * parsed objects are shared by the lines that spell them alike.
 */
class BytesCache<T> {
  private readonly bytes: Buffer[] = [];
  private readonly values: T[] = [];
  private last = 0;
  private next = 0;
  constructor(
    private readonly size: number,
    private readonly maxBytes: number,
    private readonly decode: (b: Buffer, s: number, e: number) => T,
  ) {}
  get(b: Buffer, s: number, e: number): T {
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
        return this.values[k];
      }
    }
    const value = this.decode(b, s, e);
    if (len <= this.maxBytes) {
      const slot = n < this.size ? n : this.next++ % this.size;
      this.bytes[slot] = Buffer.from(b.subarray(s, e));
      this.values[slot] = value;
      this.last = slot;
    }
    return value;
  }
}

/** Strings of up to 64 bytes (the bytes between the quotes, no escapes). */
const stringCache = (size: number) => new BytesCache<string>(size, 64, (b, s, e) => b.toString('utf8', s, e));
type StringCache = BytesCache<string>;

const HEAD = Buffer.from('{"rollout":"', 'latin1');
const K_T = Buffer.from(',"t":', 'latin1');
const K_ACTION = Buffer.from(',"action":', 'latin1');
/**
 * The optional fields the fast path reads after `action`, in the writers'
 * order (STEP_FIELD_ORDER), each as it follows the previous value. A line
 * with any other field (a refused action's reason, `replayed`, `info`) or
 * these in another order goes to the general reader.
 */
const F_ORACLE = 0;
const F_OBS = 1;
const F_STATE = 2;
const F_REWARD = 3;
const F_PATCHES = 4;
const F_MEASURE = 5;
const F_TARGET = 6;
const F_FEATURES = 7;
const F_ILLEGAL = 8;
const F_INVALID = 9;
const F_REPLAYED = 10;
const F_TEXT = 11;
const F_INFO = 12;
const F_TIMING = 13;
const FAST_KEYS = ['oracle', 'obs', 'state', 'reward', 'patches', 'measure', 'target', 'features', 'illegal', 'invalid', 'replayed', 'text', 'info', 'timing'].map((k) => Buffer.from(`,"${k}":`, 'latin1'));
/** `true` as a little-endian word. */
const TRUE_WORD = Buffer.from('true', 'latin1').readInt32LE(0);
const N_FAST = FAST_KEYS.length;
/**
 * The fixed texts of the layout (the head, then `,"t":`, `,"action":`, then
 * FAST_KEYS), each compared as three little-endian 32-bit words through a
 * DataView: at 0, at 4 (or n − 4 when shorter than 8) and at n − 4, which
 * overlap and cover all of a text of 4 to 12 bytes. A byte loop cost more
 * than anything else in the fast path.
 */
const FIXED = [HEAD, K_T, K_ACTION, ...FAST_KEYS];
const FIXED_HEAD = 0;
const FIXED_T = 1;
const FIXED_ACTION = 2;
const FIXED_KEYS = 3;
const FIXED_LEN = Int32Array.from(FIXED, (k) => k.length);
const FIXED_MID = Int32Array.from(FIXED, (k) => Math.min(4, k.length - 4));
const FIXED_WORDS = Int32Array.from(FIXED.flatMap((k) => [k.readInt32LE(0), k.readInt32LE(Math.min(4, k.length - 4)), k.readInt32LE(k.length - 4)]));
if (FIXED.some((k) => k.length < 4 || k.length > 12)) throw new Error('a fixed text of the layout outside 4..12 bytes');

/**
 * The words that cover `bytes` (4 or more): at 0, 4, 8… and the last at
 * n − 4, overlapping the one before it.
 */
function wordsOf(bytes: Uint8Array): Int32Array {
  const n = bytes.length;
  if (n < 4) return new Int32Array(0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  const full = Math.ceil(n / 4) - 1;
  const w = new Int32Array(full + 1);
  for (let i = 0; i < full; i++) w[i] = dv.getInt32(4 * i, true);
  w[full] = dv.getInt32(n - 4, true);
  return w;
}

/** Whether FIXED[k] is at b[p] (`dv` views b; the caller checked that p + its length ≤ the line's end). */
function fixedAt(dv: DataView, p: number, k: number): boolean {
  return dv.getInt32(p, true) === FIXED_WORDS[3 * k] && dv.getInt32(p + FIXED_MID[k], true) === FIXED_WORDS[3 * k + 1] && dv.getInt32(p + FIXED_LEN[k] - 4, true) === FIXED_WORDS[3 * k + 2];
}

/** What a byte is to the bracket matcher: most bytes nothing, found by one table load. */
const B_QUOTE = 1;
const B_OPEN = 2;
const B_CLOSE = 3;
const BRACKET = new Uint8Array(256);
BRACKET[Q] = B_QUOTE;
BRACKET[LB] = BRACKET[LS] = B_OPEN;
BRACKET[RB] = BRACKET[RS] = B_CLOSE;

/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const EXACT = 2 ** 53;

/** Where the last `numberAt` stopped: past the number, or −1 when there was none. */
let numEnd = 0;

/**
 * The JSON number at b[p], as JSON.parse reads it; sets `numEnd` past it, or
 * to −1 when the bytes there do not start a JSON number (the grammar is
 * checked: no leading zeros, a digit after the point and in the exponent).
 * The caller checks what follows. When the digits (point removed) form an
 * integer below 2^53 and the power of ten is within ±22, the value is that
 * integer times or divided by the power: both are exact doubles, so the one
 * operation rounds the exact value once, which is what a correctly rounded
 * parse gives (Clinger's fast path). Anything else goes through Number,
 * which rounds as JSON.parse does.
 */
function numberAt(b: Buffer, p: number, end: number): number {
  const start = p;
  const neg = p < end && b[p] === 45;
  if (neg) p++;
  if (p >= end) return (numEnd = -1);
  let m = b[p] - 48;
  if (m < 0 || m > 9) return (numEnd = -1);
  p++;
  // A leading 0 is the whole integer part.
  if (m !== 0)
    while (p < end) {
      const d = b[p] - 48;
      if (d < 0 || d > 9) break;
      m = m * 10 + d;
      p++;
    }
  let scale = 0;
  let c = p < end ? b[p] : 0;
  if (c === 46) {
    const f = ++p;
    while (p < end) {
      const d = b[p] - 48;
      if (d < 0 || d > 9) break;
      m = m * 10 + d;
      p++;
    }
    if (p === f) return (numEnd = -1);
    scale = f - p;
    c = p < end ? b[p] : 0;
  }
  if (c === 101 || c === 69) {
    p++;
    const sign = p < end ? b[p] : 0;
    if (sign === 43 || sign === 45) p++;
    const e0 = p;
    let e = 0;
    while (p < end) {
      const d = b[p] - 48;
      if (d < 0 || d > 9) break;
      if (e < 100000) e = e * 10 + d;
      p++;
    }
    if (p === e0) return (numEnd = -1);
    scale += sign === 45 ? -e : e;
  }
  numEnd = p;
  // m is exact while below 2^53: every partial m·10 + d is then at most m.
  let v: number;
  if (m < EXACT && scale === 0) v = m;
  else if (m < EXACT && scale > 0 && scale <= 22) v = m * POW10[scale];
  else if (m < EXACT && scale < 0 && scale >= -22) v = m / POW10[-scale];
  else return Number(b.toString('latin1', start, p));
  return neg ? -v : v;
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
  /** The state as `stateNumber` gives it, when a reader thread computed it (then `state` is absent). */
  stateNumber: number | undefined = undefined;
  clear(): void {
    this.rollout = this.t = this.action = this.oracle = this.state = undefined;
    this.measure = this.target = this.features = this.replayed = this.stateNumber = undefined;
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
  private readonly ids = stringCache(4);
  private readonly actions = stringCache(16);
  /** Actions and oracles that are objects, arrays or literals, by their JSON text. */
  private readonly jsonActions = new BytesCache<unknown>(16, 256, (b, s, e) => JSON.parse(b.toString('utf8', s, e)));
  /** The last rollout id the fast path read, and its bytes. */
  private idBytes = new Uint8Array(0);
  private idWords: Int32Array = new Int32Array(0);
  private idText = '';
  /** A view of the buffer last scanned, for word reads. */
  private view: DataView = new DataView(new ArrayBuffer(0));
  private viewOf: Buffer | null = null;
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
    return cache === this.actions ? this.jsonActions.get(b, start, this.p) : JSON.parse(b.toString('utf8', start, this.p));
  }

  /** The JSON number at p (`numberAt`); anything that is not one, or runs on into more number bytes, is for JSON.parse. */
  number(): number {
    const v = numberAt(this.b, this.p, this.end);
    const p = numEnd;
    if (p < 0 || (p < this.end && isNumChar(this.b[p]))) throw FALLBACK;
    this.p = p;
    return v;
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
   * The writers' own layout (STEP_FIELD_ORDER, no whitespace), read in one
   * forward pass: each key compared in place against the ones that may come
   * next, numbers built from the bytes (`numberAt`), strings that are not
   * read stepped over, the patches and a trailing timing bracket-matched (so
   * a torn or unbalanced line is still refused), the line's closing brace
   * required right after the last value. Every loop keeps its position in a
   * local and inlines its byte tests: this runs once per step line, and a
   * call or a field store per byte costs as much as the test itself.
   * False when the line is laid out any other way; `line` then reads it.
   */
  fast(b: Buffer, start: number, end: number): boolean {
    const last = end - 1;
    if (end - start < HEAD.length + 2 || b[last] !== RB) return false;
    if (b !== this.viewOf) {
      this.view = new DataView(b.buffer, b.byteOffset, b.length);
      this.viewOf = b;
    }
    const dv = this.view;
    if (!fixedAt(dv, start, FIXED_HEAD)) return false;
    const rec = this.rec;
    rec.clear();
    // The id: most lines repeat the previous line's, compared in place by words; no escapes (an escaped quote needs the full reader).
    let p = start + HEAD.length;
    const pn = this.idBytes.length;
    let q = p + pn;
    let same = pn >= 4 && q < last && b[q] === Q;
    if (same) {
      const w = this.idWords;
      const tail = w.length - 1;
      for (let i = 0; same && i < tail; i++) same = dv.getInt32(p + 4 * i, true) === w[i];
      same = same && dv.getInt32(q - 4, true) === w[tail];
    }
    if (same) rec.rollout = this.idText;
    else {
      q = p;
      for (;;) {
        if (q >= last) return false;
        const c = b[q];
        if (c === Q) break;
        if (c === BS) return false;
        q++;
      }
      const id = this.ids.get(b, p, q);
      rec.rollout = id;
      if (q - p <= 64) {
        this.idBytes = Uint8Array.prototype.slice.call(b, p, q);
        this.idWords = wordsOf(this.idBytes);
        this.idText = id;
      }
    }
    p = q + 1;
    if (p + K_T.length > last || !fixedAt(dv, p, FIXED_T)) return false;
    p += K_T.length;
    rec.t = numberAt(b, p, last);
    if (numEnd < 0) return false;
    p = numEnd;
    if (p + K_ACTION.length > last || !fixedAt(dv, p, FIXED_ACTION)) return false;
    p += K_ACTION.length;
    rec.action = this.fastValue(b, p, end, 2);
    p = this.p;
    if (p < 0) return false;
    // The optional fields, each at most once and in the writers' order.
    for (let f = 0; ; f++) {
      if (p === last) return true;
      // Past the closing brace: a skipped value took it (a torn line). Never read past the line: the buffer may end there.
      if (p > last || b[p] !== COMMA) return false;
      while (f < N_FAST && !(p + FIXED_LEN[FIXED_KEYS + f] <= last && fixedAt(dv, p, FIXED_KEYS + f))) f++;
      if (f === N_FAST) return false;
      p += FIXED_LEN[FIXED_KEYS + f];
      const c = b[p];
      switch (f) {
        case F_ORACLE:
          rec.oracle = this.fastValue(b, p, end, 3);
          p = this.p;
          if (p < 0) return false;
          break;
        case F_OBS:
        case F_STATE:
        case F_ILLEGAL:
        case F_INVALID:
        case F_TEXT:
          // Strings never read (but a state where the environment has no features).
          if (c !== Q) return false;
          if (f === F_STATE && this.readState) {
            this.b = b;
            this.end = end;
            this.p = p;
            rec.state = this.value(null, this.arrays[4]);
            p = this.p;
            break;
          }
          // Step over the string to its closing quote: the next quote not escaped (an odd run of backslashes before it).
          for (;;) {
            p = b.indexOf(Q, p + 1);
            if (p < 0 || p >= last) return false;
            let e = p - 1;
            while (b[e] === BS) e--;
            if (((p - e) & 1) === 1) break;
          }
          p++;
          break;
        case F_REWARD: {
          // Never read: any run of number bytes.
          const r = p;
          while (p < last && isNumChar(b[p])) p++;
          if (p === r) return false;
          break;
        }
        case F_REPLAYED:
          // A fork's replayed prefix: only `true` is a value the columns keep; anything else is for the general reader.
          if (p + 4 > last || dv.getInt32(p, true) !== TRUE_WORD) return false;
          rec.replayed = true;
          p += 4;
          break;
        case F_PATCHES:
        case F_INFO:
        case F_TIMING: {
          // Bracket-matched, strings stepped over; never read. `info` and `timing` are objects; a timing (an agent's wall-clock report) ends the line.
          if (c !== LB && (f !== F_PATCHES || c !== LS)) return false;
          let depth = 0;
          for (;;) {
            if (p >= last) return false;
            const k = BRACKET[b[p++]];
            if (k === 0) continue;
            if (k === B_QUOTE) {
              for (;;) {
                if (p >= last) return false;
                const e = b[p++];
                if (e === Q) break;
                if (e === BS) p++;
              }
            } else if (k === B_OPEN) depth++;
            else if (--depth === 0) break;
          }
          if (f === F_TIMING && p !== last) return false;
          break;
        }
        default: {
          // measure, target, features: arrays of plain numbers, into this field's reused array (F_MEASURE… equal their WANTED indices).
          if (c !== LS) return false;
          const out = this.arrays[f];
          let n = 0;
          p++;
          if (p < last && b[p] === RS) p++;
          else
            for (;;) {
              out[n++] = numberAt(b, p, last);
              if (numEnd < 0) return false;
              p = numEnd;
              const d = b[p++];
              if (d === RS) break;
              if (d !== COMMA) return false;
            }
          // Setting length is a runtime call: only when it changes.
          if (out.length !== n) out.length = n;
          if (f === F_MEASURE) rec.measure = out;
          else if (f === F_TARGET) rec.target = out;
          else if (f === F_FEATURES) rec.features = out;
        }
      }
    }
  }

  /**
   * The action or oracle at b[p] (`k`: its WANTED index, for the reused
   * array): numbers and strings without escapes read here, anything else by
   * `value`. Leaves `this.p` past it, or −1 when it is not a value.
   */
  private fastValue(b: Buffer, p: number, end: number, k: number): unknown {
    const c = b[p];
    if (c === Q) {
      let q = p + 1;
      for (;;) {
        if (q >= end) return (this.p = -1);
        const d = b[q];
        if (d === Q) break;
        if (d === BS) break;
        q++;
      }
      if (b[q] === Q) {
        this.p = q + 1;
        return this.actions.get(b, p + 1, q);
      }
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const v = numberAt(b, p, end);
      this.p = numEnd;
      return v;
    }
    this.b = b;
    this.end = end;
    this.p = p;
    return this.value(this.actions, this.arrays[k]);
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

export interface StepReadOptions {
  /** Materialise `state` (default true). */
  readonly readState?: boolean;
  /** Counts lines by the reader that took them (tests check the fast path is the one taken). */
  readonly stats?: { fast: number; general: number; parsed: number };
  /**
   * Reader threads beside this one (default: one fewer than the cores, at
   * most 3, for a file of at least PARALLEL_MIN_BYTES; else 0, all read here).
   */
  readonly threads?: number;
  /** Bytes per range of whole lines handed to a thread (default SEGMENT_BYTES; tests make it small). */
  readonly segmentBytes?: number;
  /** Start only once the threads are up, so that they take part even in a small file (tests). */
  readonly awaitThreads?: boolean;
  /** Counts the ranges and lines reader threads read (tests check they took part). */
  readonly threadStats?: { ranges: number; lines: number };
  /**
   * Takes lines [i, end) of a thread's columns, all of one rollout, straight
   * from the columns (`base` + `c.line[k]` numbers line k); returns how many
   * it took, from i. The others go to `onStep` one by one, in order.
   */
  readonly onColumns?: (c: SegmentColumns, i: number, end: number, base: number) => number;
}

/**
 * Below this size a thread's start-up (about 0.4 CPU-s, and a cold JIT)
 * costs about what it saves: at 10⁶ steps (~290 MB) a thread started for
 * the read cut the main thread's CPU from 1.5 to 1.35 s but doubled the
 * total; already started, it cut it to 0.95 s at the same total.
 */
export const PARALLEL_MIN_BYTES = 512 << 20;
export const SEGMENT_BYTES = 8 << 20;
/**
 * Ranges read ahead of the one being stored, per thread: bounds memory to a
 * few ranges' columns. Enough that a thread still has work queued while this
 * thread computes a finished group's curves (about 0.1 s at 10⁶ steps a
 * group) without yielding to hand it more.
 */
const AHEAD_PER_THREAD = 6;
/** The last ranges shrink down to SEGMENT_BYTES / TAIL_SPLIT. */
const TAIL_SPLIT = 8;

/**
 * One line at a time on this thread: the fast path, else the general
 * reader, else JSON.parse, which names a corrupt line; the final line of
 * the file (which may be torn) never takes the fast path.
 */
class LineReader {
  private readonly scanner: Scanner;
  /** Lines before the range being read: its line numbers are local. */
  base = 0;
  constructor(
    private readonly file: string,
    private readonly onStep: (rec: StepLine, line: number) => void,
    private readonly onTorn: (line: number) => void,
    readState: boolean,
    private readonly stats: StepReadOptions['stats'],
  ) {
    this.scanner = new Scanner(readState);
  }

  readonly visit = (buf: Buffer, start: number, end: number, local: number, _offset: number, isLast: boolean): void => {
    const lineNo = this.base + local;
    let s = start;
    while (s < end && isWs(buf[s])) s++;
    if (s === end) return;
    const scanner = this.scanner;
    const stats = this.stats;
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
        if (isLast) return this.onTorn(lineNo);
        throw corruptLine(this.file, lineNo, text);
      }
    }
    this.onStep(rec, lineNo);
  };
}

/**
 * Stream the step lines of `file`: `onStep` gets each record and its
 * 1-based line number, in file order. The record and its arrays are reused
 * for the next line: copy what must outlive the callback. Blank lines are
 * skipped; a torn final line (no newline, not JSON) goes to `onTorn`; a
 * corrupt line elsewhere is an error. Records read by a thread carry the
 * state as `stateNumber` instead of `state`; every other field is as
 * JSON.parse gives it.
 *
 * A large file is read by reader threads as well as this one: it is cut
 * into ranges of whole lines, a thread turns a range into typed columns
 * (scanSegment), and this thread replays them to `onStep` in file order,
 * reading a range itself whenever the next one is not handed out, so it
 * never waits while there is reading to do. Lines a thread cannot put in
 * columns (odd values, torn or corrupt lines) come back as bytes and are
 * read here line by line, so errors and their line numbers are the same
 * as on one thread. A thread that fails or does not start costs nothing
 * but time: its ranges are read here.
 */
export async function readStepLines(file: string, onStep: (rec: StepLine, line: number) => void, onTorn: (line: number) => void, options: StepReadOptions = {}): Promise<void> {
  const readState = options.readState ?? true;
  const reader = new LineReader(file, onStep, onTorn, readState, options.stats);
  let size = -1;
  try {
    size = statSync(file).size;
  } catch {
    // Missing: forEachLine names it.
  }
  const threads = options.threads ?? (size >= PARALLEL_MIN_BYTES ? Math.min(3, availableParallelism() - 1) : 0);
  if (threads <= 0 || size <= 0) {
    await forEachLine(file, reader.visit);
    return;
  }
  await readInParallel(file, size, reader, onStep, threads, options.segmentBytes ?? SEGMENT_BYTES, readState, options);
}

/** A range of whole lines: [start, end), or to the end of the file when `end` is null (the last range). */
export interface SegmentTask {
  readonly file: string;
  readonly seg: number;
  readonly start: number;
  readonly end: number | null;
  readonly readState: boolean;
  /** Columns to fill, recycled from a range already stored (transferred with the task); else new ones. */
  readonly buffers?: ColumnBuffers;
}

/**
 * The typed arrays a range's columns are written into, reused range after
 * range: a set goes to a thread with a task, comes back filled (the columns
 * are views of it, not copies), and returns to the pool once its range is
 * stored. A copy per range meant fresh memory every time: page faults in the
 * thread, and transferred buffers piling up until a garbage collection on
 * both threads.
 */
export interface ColumnBuffers {
  readonly line: Int32Array;
  readonly isRaw: Uint8Array;
  readonly rollout: Int32Array;
  readonly t: Float64Array;
  readonly kinds: Uint8Array;
  readonly nums: Float64Array;
  readonly refs: Int32Array;
  readonly state: Float64Array;
  readonly replayed: Uint8Array;
  readonly vecLen: Int32Array;
  readonly vecAt: Int32Array;
  readonly vec: Float64Array;
}

/** The ArrayBuffers of a set, to transfer: an array grown past its set's size is a plain ArrayBuffer; the shared ones are only shared. */
export function buffersOf(b: ColumnBuffers): ArrayBuffer[] {
  return [b.line, b.isRaw, b.rollout, b.t, b.kinds, b.nums, b.refs, b.state, b.replayed, b.vecLen, b.vecAt, b.vec].flatMap((a) => (a.buffer instanceof ArrayBuffer ? [a.buffer] : []));
}

const V_NUMBER = KIND_NUMBER;
const V_STRING = KIND_STRING;
const V_JSON = KIND_JSON;
const V_ABSENT = KIND_ABSENT;

/** A range's step lines as columns, one entry per non-blank line. */
export interface SegmentColumns extends StepColumns {
  readonly seg: number;
  /** Lines in the range, blank ones included: what numbering continues from. */
  readonly lines: number;
  readonly n: number;
  /** Line number within the range. */
  readonly line: Int32Array;
  /** 1: the line is in `raw` (read on the main thread), 0: in the columns. */
  readonly isRaw: Uint8Array;
  readonly raw: Uint8Array[];
  /** Per raw line: 1 when it is the file's final line without a newline. */
  readonly rawLast: Uint8Array;
  /** Index into `ids`. */
  readonly rollout: Int32Array;
  readonly ids: string[];
  readonly strings: string[];
  readonly stats: { fast: number; general: number };
  /** The whole arrays behind the columns (views of their first n entries), to recycle once the range is stored. */
  readonly buffers: ColumnBuffers;
}

/**
 * A new set, in shared memory: a SharedArrayBuffer is shared by a message,
 * not moved, and V8 does not count its arrival as new external memory. A
 * transferred ArrayBuffer is counted on every arrival and uncounted only
 * when a collection sweeps its old wrapper, and the columns outlive
 * scavenges: at 2·10⁶ steps the main thread ran 14 mark-compacts (5 on one
 * thread) and 26 collections for "external memory pressure" with
 * transferred sets, 8 and 6 with shared ones. Which thread writes a set is
 * settled by the protocol: the scanning thread until it sends the columns,
 * then the main thread reads it until it hands the set out again.
 */
function freshBuffers(lines: number, values: number): ColumnBuffers {
  const shared = <T>(C: { new (b: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number }, n: number): T => new C(new SharedArrayBuffer(n * C.BYTES_PER_ELEMENT));
  return {
    line: shared(Int32Array, lines),
    isRaw: shared(Uint8Array, lines),
    rollout: shared(Int32Array, lines),
    t: shared(Float64Array, lines),
    kinds: shared(Uint8Array, 2 * lines),
    nums: shared(Float64Array, 2 * lines),
    refs: shared(Int32Array, 2 * lines),
    state: shared(Float64Array, lines),
    replayed: shared(Uint8Array, lines),
    vecLen: shared(Int32Array, 3 * lines),
    vecAt: shared(Int32Array, lines),
    vec: shared(Float64Array, values),
  };
}

/** Growable typed columns for scanSegment. */
class ColumnsBuilder {
  n = 0;
  // Set in the constructor (adopt).
  line!: Int32Array;
  isRaw!: Uint8Array;
  rollout!: Int32Array;
  t!: Float64Array;
  kinds!: Uint8Array;
  nums!: Float64Array;
  refs!: Int32Array;
  state!: Float64Array;
  replayed!: Uint8Array;
  vecLen!: Int32Array;
  vecAt!: Int32Array;
  vec!: Float64Array;
  nv = 0;
  raw: Uint8Array[] = [];
  rawLast: number[] = [];
  ids: string[] = [];
  private idIndex = new Map<string, number>();
  private lastId: string | null = null;
  private lastRef = 0;
  strings: string[] = [];
  private stringIndex = new Map<string, number>();
  /** JSON values already in `strings`, by identity. */
  private jsonRefs = new Map<unknown, number>();
  /** The arrays went out with the last range's columns: the next range needs others. */
  private given = false;
  constructor(cap: number) {
    this.cap = cap;
    this.vecCap = 3 * cap;
    this.adopt(freshBuffers(cap, 3 * cap));
  }

  /**
   * Empty again for the next range, writing into `buffers` (a set recycled
   * from a range already stored) when given. Without, the arrays of the last
   * range are kept unless they went out with its columns (`release`); only
   * then are new ones made: fresh arrays of a range's size for every range
   * cost zeroing and page faults every time.
   */
  reset(buffers?: ColumnBuffers): void {
    if (buffers) this.adopt(buffers);
    else if (this.given) this.adopt(freshBuffers(this.cap, this.vecCap));
    this.given = false;
    this.n = 0;
    this.nv = 0;
    this.raw = [];
    this.rawLast = [];
    this.ids = [];
    this.idIndex = new Map();
    this.lastId = null;
    this.lastRef = 0;
    this.strings = [];
    this.stringIndex = new Map();
    this.jsonRefs = new Map();
  }

  /** Capacity in lines and in vector values, kept past a transfer (which empties the arrays). */
  private cap = 0;
  private vecCap = 0;

  private adopt(b: ColumnBuffers): void {
    ({ line: this.line, isRaw: this.isRaw, rollout: this.rollout, t: this.t, kinds: this.kinds, nums: this.nums } = b);
    ({ refs: this.refs, state: this.state, replayed: this.replayed, vecLen: this.vecLen, vecAt: this.vecAt, vec: this.vec } = b);
  }

  /** The arrays, for the columns of the range just scanned; the next range writes into others. */
  release(): ColumnBuffers {
    this.given = true;
    this.cap = this.line.length;
    this.vecCap = this.vec.length;
    const { line, isRaw, rollout, t, kinds, nums, refs, state, replayed, vecLen, vecAt, vec } = this;
    return { line, isRaw, rollout, t, kinds, nums, refs, state, replayed, vecLen, vecAt, vec };
  }

  private grow(): void {
    const cap = this.line.length * 2;
    const more = <T extends Int32Array | Uint8Array | Float64Array>(a: T, per = 1): T => {
      const b = new (a.constructor as new (n: number) => T)(cap * per);
      b.set(a);
      return b;
    };
    this.line = more(this.line);
    this.isRaw = more(this.isRaw);
    this.rollout = more(this.rollout);
    this.t = more(this.t);
    this.kinds = more(this.kinds, 2);
    this.nums = more(this.nums, 2);
    this.refs = more(this.refs, 2);
    this.state = more(this.state);
    this.replayed = more(this.replayed);
    this.vecLen = more(this.vecLen, 3);
    this.vecAt = more(this.vecAt);
  }

  private stringRef(s: string): number {
    let k = this.stringIndex.get(s);
    if (k === undefined) {
      k = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, k);
    }
    return k;
  }

  /** A line for the main thread to read itself. */
  addRaw(buf: Buffer, start: number, end: number, line: number, isLast: boolean): void {
    if (this.n === this.line.length) this.grow();
    const i = this.n++;
    this.line[i] = line;
    this.isRaw[i] = 1;
    this.raw.push(Uint8Array.prototype.slice.call(buf, start, end));
    this.rawLast.push(isLast ? 1 : 0);
  }

  /** A value of the action or oracle (j 0 or 1) into the columns; false when it has no column form. */
  private value(i: number, j: number, v: unknown): boolean {
    const at = 2 * i + j;
    if (typeof v === 'number') {
      this.kinds[at] = V_NUMBER;
      this.nums[at] = v;
    } else if (typeof v === 'string') {
      this.kinds[at] = V_STRING;
      this.refs[at] = this.stringRef(v);
    } else if (v === undefined) this.kinds[at] = V_ABSENT;
    else {
      // Objects, arrays, booleans, null: their JSON text, parsed back once per distinct text.
      // The scanner hands back one object for lines that spell it alike: stringified once per range.
      // Not an array: an array of numbers is the scanner's reused array, the same object whatever it holds.
      this.kinds[at] = V_JSON;
      let ref = Array.isArray(v) ? undefined : this.jsonRefs.get(v);
      if (Array.isArray(v)) ref = this.stringRef(JSON.stringify(v));
      else if (ref === undefined) {
        ref = this.stringRef(JSON.stringify(v));
        if (this.jsonRefs.size >= 1024) this.jsonRefs.clear();
        this.jsonRefs.set(v, ref);
      }
      this.refs[at] = ref;
    }
    return true;
  }

  /** A measure, target or features value (k 0..2); false when it is neither a number nor an array of numbers. */
  private vector(i: number, k: number, v: unknown): boolean {
    const at = 3 * i + k;
    if (v === undefined) {
      this.vecLen[at] = VEC_ABSENT;
      return true;
    }
    if (typeof v === 'number') {
      this.push(v);
      this.vecLen[at] = VEC_SCALAR;
      return true;
    }
    if (!Array.isArray(v)) return false;
    for (const x of v) if (typeof x !== 'number') return false;
    for (const x of v as number[]) this.push(x);
    this.vecLen[at] = v.length;
    return true;
  }

  private push(x: number): void {
    if (this.nv === this.vec.length) {
      const b = new Float64Array(this.vec.length * 2);
      b.set(this.vec);
      this.vec = b;
    }
    this.vec[this.nv++] = x;
  }

  /**
   * A record into the columns; false (nothing kept) when a field has no
   * column form or breaks a rule the main thread reports, so the line goes
   * to it as bytes.
   */
  add(rec: ScannedStep, line: number, readState: boolean): boolean {
    const id = rec.rollout;
    const t = rec.t;
    if (typeof id !== 'string' || typeof t !== 'number' || !Number.isSafeInteger(t) || t < 1) return false;
    if (rec.replayed !== undefined && rec.replayed !== true) return false;
    if (this.n === this.line.length) this.grow();
    const i = this.n;
    const nv = this.nv;
    if (!this.value(i, 0, rec.action) || !this.value(i, 1, rec.oracle) || !this.vector(i, 0, rec.measure) || !this.vector(i, 1, rec.target) || !this.vector(i, 2, rec.features)) {
      this.nv = nv;
      return false;
    }
    this.vecAt[i] = nv;
    this.row(i, id, t, rec, line, readState);
    return true;
  }

  /** Row `i`'s rollout (interned), line, t, state and replayed mark; its values and vectors are already in. */
  private row(i: number, id: string, t: number, rec: ScannedStep, line: number, readState: boolean): void {
    // A rollout's lines are contiguous, and the scanner hands back the same string for the same id.
    let r = id === this.lastId ? this.lastRef : this.idIndex.get(id);
    if (r === undefined) {
      r = this.ids.length;
      this.ids.push(id);
      this.idIndex.set(id, r);
    }
    this.lastId = id;
    this.lastRef = r;
    this.n++;
    this.line[i] = line;
    this.isRaw[i] = 0;
    this.rollout[i] = r;
    this.t[i] = t;
    this.state[i] = readState ? stateNumber(rec.state) : NaN;
    this.replayed[i] = rec.replayed === true ? 1 : 0;
  }

  /**
   * `add` for a record of the scanner's fast path, which leaves only what it
   * checked: the rollout a string, `measure`/`target`/`features` arrays of
   * numbers or absent, `replayed` true or absent. The vectors are copied
   * without a type test per element.
   */
  addFast(rec: ScannedStep, line: number, readState: boolean): boolean {
    const t = rec.t;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 1) return false;
    if (this.n === this.line.length) this.grow();
    const i = this.n;
    this.value(i, 0, rec.action);
    this.value(i, 1, rec.oracle);
    const m = rec.measure as number[] | undefined;
    const g = rec.target as number[] | undefined;
    const f = rec.features as number[] | undefined;
    const need = this.nv + (m === undefined ? 0 : m.length) + (g === undefined ? 0 : g.length) + (f === undefined ? 0 : f.length);
    if (need > this.vec.length) {
      let size = this.vec.length * 2;
      while (size < need) size *= 2;
      const bigger = new Float64Array(size);
      bigger.set(this.vec.subarray(0, this.nv));
      this.vec = bigger;
    }
    const vec = this.vec;
    let nv = this.nv;
    this.vecAt[i] = nv;
    const at = 3 * i;
    if (m === undefined) this.vecLen[at] = VEC_ABSENT;
    else {
      for (let k = 0; k < m.length; k++) vec[nv++] = m[k];
      this.vecLen[at] = m.length;
    }
    if (g === undefined) this.vecLen[at + 1] = VEC_ABSENT;
    else {
      for (let k = 0; k < g.length; k++) vec[nv++] = g[k];
      this.vecLen[at + 1] = g.length;
    }
    if (f === undefined) this.vecLen[at + 2] = VEC_ABSENT;
    else {
      for (let k = 0; k < f.length; k++) vec[nv++] = f[k];
      this.vecLen[at + 2] = f.length;
    }
    this.nv = nv;
    this.row(i, rec.rollout as string, t, rec, line, readState);
    return true;
  }
}

let readBuffer: Buffer | null = null;
/** One column builder for every range this thread scans, emptied for each. */
let segmentBuilder: ColumnsBuilder | null = null;
/** One read buffer for every range this thread scans (scanSegment is synchronous, never re-entered). */
const segmentBuffer = (): Buffer => (readBuffer ??= newReadBuffer());

/**
 * A reader thread's work: the range's step lines as columns (a line that
 * does not fit goes back as bytes), and the buffers to transfer.
 */
export function scanSegment(task: SegmentTask): { columns: SegmentColumns; transfer: ArrayBuffer[] } {
  const scanner = new Scanner(task.readState);
  const span = (task.end ?? task.start + SEGMENT_BYTES) - task.start;
  const b = (segmentBuilder ??= new ColumnsBuilder(Math.max(64, Math.ceil(span / 128))));
  b.reset(task.buffers);
  const stats = { fast: 0, general: 0 };
  const lines = forEachLineSync(
    task.file,
    (buf, start, end, line, _offset, isLast) => {
      let s = start;
      while (s < end && isWs(buf[s])) s++;
      if (s === end) return;
      // The final line of the file may be torn: the main thread judges it, as it does on its own.
      if (!isLast) {
        try {
          const rec = scanner.record as unknown as ScannedStep;
          if (scanner.fast(buf, s, end)) {
            if (b.addFast(rec, line, task.readState)) {
              stats.fast++;
              return;
            }
          } else {
            scanner.line(buf, s, end);
            if (b.add(rec, line, task.readState)) {
              stats.general++;
              return;
            }
          }
        } catch {
          // Not for the scanner: the main thread reads it and names what is wrong.
        }
      }
      b.addRaw(buf, start, end, line, isLast);
    },
    task.end === null ? { start: task.start, buffer: segmentBuffer() } : { start: task.start, end: task.end, buffer: segmentBuffer() },
  );
  const n = b.n;
  const c = b.release();
  // Views of the used part: the arrays go out whole and come back for a later range.
  const columns: SegmentColumns = {
    seg: task.seg,
    lines,
    n,
    line: c.line.subarray(0, n),
    isRaw: c.isRaw.subarray(0, n),
    raw: b.raw,
    rawLast: Uint8Array.from(b.rawLast),
    rollout: c.rollout.subarray(0, n),
    ids: b.ids,
    t: c.t.subarray(0, n),
    kinds: c.kinds.subarray(0, 2 * n),
    nums: c.nums.subarray(0, 2 * n),
    refs: c.refs.subarray(0, 2 * n),
    strings: b.strings,
    state: c.state.subarray(0, n),
    replayed: c.replayed.subarray(0, n),
    vecLen: c.vecLen.subarray(0, 3 * n),
    vecAt: c.vecAt.subarray(0, n),
    vec: c.vec.subarray(0, b.nv),
    stats,
    buffers: c,
  };
  return { columns, transfer: [...buffersOf(c), columns.rawLast.buffer as ArrayBuffer] };
}

/** Messages from a reader thread. */
export type ThreadMessage = { readonly ready: true } | { readonly done: SegmentColumns } | { readonly seg: number; readonly failed: string };

/**
 * Replays a thread's columns in line order: runs of one rollout's lines to
 * `onColumns` first, what it leaves to `onStep` through one reused record,
 * raw lines to the line reader.
 */
class ColumnReplayer {
  private readonly rec = new ScannedStep();
  private readonly arrays: number[][] = [[], [], []];
  constructor(
    private readonly reader: LineReader,
    private readonly onStep: (rec: StepLine, line: number) => void,
    private readonly onColumns: StepReadOptions['onColumns'],
  ) {}

  replay(c: SegmentColumns, base: number): void {
    const n = c.n;
    let i = 0;
    let raw = 0;
    while (i < n) {
      if (c.isRaw[i] === 1) {
        this.raw(c, i, raw++, base);
        i++;
        continue;
      }
      let end = i + 1;
      const id = c.rollout[i];
      while (end < n && c.isRaw[end] === 0 && c.rollout[end] === id) end++;
      while (i < end) {
        const took = this.onColumns ? this.onColumns(c, i, end, base) : 0;
        if (took > 0) i += took;
        else this.record(c, i++, base);
      }
    }
  }

  /** Line i, the k-th raw one, read here as on one thread. */
  private raw(c: SegmentColumns, i: number, k: number, base: number): void {
    const bytes = c.raw[k];
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.reader.base = base;
    this.reader.visit(buf, 0, buf.length, c.line[i], 0, c.rawLast[k] === 1);
  }

  private value(c: SegmentColumns, at: number, parsed: Map<number, unknown>): unknown {
    switch (c.kinds[at]) {
      case V_NUMBER:
        return c.nums[at];
      case V_STRING:
        return c.strings[c.refs[at]];
      case V_JSON: {
        const k = c.refs[at];
        if (!parsed.has(k)) parsed.set(k, JSON.parse(c.strings[k]));
        return parsed.get(k);
      }
      default:
        return undefined;
    }
  }

  private parsed = new Map<number, unknown>();
  private parsedOf: SegmentColumns | null = null;

  private record(c: SegmentColumns, i: number, base: number): void {
    if (this.parsedOf !== c) {
      this.parsedOf = c;
      this.parsed = new Map();
    }
    const rec = this.rec;
    rec.clear();
    rec.rollout = c.ids[c.rollout[i]];
    rec.t = c.t[i];
    rec.action = this.value(c, 2 * i, this.parsed);
    rec.oracle = this.value(c, 2 * i + 1, this.parsed);
    rec.stateNumber = c.state[i];
    if (c.replayed[i] === 1) rec.replayed = true;
    let v = c.vecAt[i];
    for (let k = 0; k < 3; k++) {
      const len = c.vecLen[3 * i + k];
      if (len === VEC_ABSENT) continue;
      if (len === VEC_SCALAR) {
        rec.set(5 + k, c.vec[v++]);
        continue;
      }
      const arr = this.arrays[k];
      if (arr.length !== len) arr.length = len;
      for (let j = 0; j < len; j++) arr[j] = c.vec[v++];
      rec.set(5 + k, arr);
    }
    this.onStep(rec as unknown as StepLine, base + c.line[i]);
  }
}

/**
 * A reader thread, kept for a read that follows soon (unref'd meanwhile, so
 * an idle one never keeps the process alive): starting one costs about
 * 0.4 CPU-s, loading its modules. Ended once idle for READER_IDLE_MS: an
 * idle thread holds its own V8 heap, its read buffer and the last range's
 * columns, which a process done reading (the TUI, a notebook between
 * analyses) should get back.
 */
interface ReaderThread {
  readonly worker: Worker;
  ready: boolean;
  dead: boolean;
  /** Ranges handed to it and not yet back. */
  readonly inflight: Set<number>;
  /** The current read's handlers. */
  onMessage: ((m: ThreadMessage) => void) | null;
  onDeath: (() => void) | null;
}

const idleThreads: ReaderThread[] = [];
/** How long an idle reader thread waits for the next read before it is ended: reads back to back (tests, a script re-analysing) reuse it. */
export const READER_IDLE_MS = 2000;
let idleTimer: ReturnType<typeof setTimeout> | null = null;

/** Reader threads kept idle for the next read (tests: they are ended once unused). */
export const keptReaderThreads = (): number => idleThreads.length;

/** Ends the idle reader threads now, rather than READER_IDLE_MS after their last read. */
export async function releaseReaderThreads(): Promise<void> {
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = null;
  const ending = idleThreads.splice(0);
  for (const t of ending) t.dead = true;
  await Promise.all(ending.map((t) => t.worker.terminate()));
}
const THREAD_ENTRY = new URL(`./step-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

function spawnReader(): ReaderThread {
  const t: ReaderThread = { worker: spawnThread(THREAD_ENTRY), ready: false, dead: false, inflight: new Set(), onMessage: null, onDeath: null };
  t.worker.on('message', (m: ThreadMessage) => {
    if ('ready' in m) t.ready = true;
    t.onMessage?.(m);
  });
  const die = () => {
    if (t.dead) return;
    t.dead = true;
    const i = idleThreads.indexOf(t);
    if (i >= 0) idleThreads.splice(i, 1);
    void t.worker.terminate();
    t.onDeath?.();
  };
  t.worker.on('error', die);
  t.worker.on('exit', die);
  return t;
}

/** `n` threads for one read: idle ones first, new ones for the rest. */
function takeThreads(n: number): ReaderThread[] {
  const out = idleThreads.splice(0, n);
  while (out.length < n) out.push(spawnReader());
  for (const t of out) t.worker.ref();
  return out;
}

/** Back to the idle list; one still holding ranges (the read failed part way) is ended instead. */
function giveBack(threads: readonly ReaderThread[]): void {
  for (const t of threads) {
    t.onMessage = null;
    t.onDeath = null;
    if (t.dead) continue;
    if (t.inflight.size > 0) {
      t.dead = true;
      void t.worker.terminate();
      continue;
    }
    t.worker.unref();
    idleThreads.push(t);
  }
  if (idleThreads.length > 0) {
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void releaseReaderThreads(), READER_IDLE_MS);
    idleTimer.unref();
  }
}

async function readInParallel(
  file: string,
  size: number,
  reader: LineReader,
  onStep: (rec: StepLine, line: number) => void,
  threads: number,
  segmentBytes: number,
  readState: boolean,
  { stats, threadStats, awaitThreads, onColumns }: StepReadOptions,
): Promise<void> {
  const replayer = new ColumnReplayer(reader, onStep, onColumns);
  const fd = openSync(file, 'r');
  const tasks: SegmentTask[] = [];
  let nextStart = 0;
  let cut = false;
  /** The next range of whole lines, or null once the last (to the end of the file) is out. */
  /** Ranges cut but not yet stored, at most: bounds the columns held. */
  const ahead = AHEAD_PER_THREAD * (threads + 1);
  const nextTask = (): SegmentTask | null => {
    if (cut) return null;
    const start = nextStart;
    // Near the end, shorter ranges: the ranges a thread still holds when the last one is cut are what this thread waits for.
    const bytes = Math.max(Math.ceil(segmentBytes / TAIL_SPLIT), Math.min(segmentBytes, Math.ceil((size - start) / (2 * ahead))));
    const end = nextLineStart(fd, start + bytes, size);
    const last = end >= size;
    if (last) cut = true;
    else nextStart = end;
    const task: SegmentTask = { file, seg: tasks.length, start, end: last ? null : end, readState };
    tasks.push(task);
    return task;
  };
  const results = new Map<number, SegmentColumns>();
  /** Column buffers of ranges already stored, for the next ranges to fill. */
  const spare: ColumnBuffers[] = [];
  const withBuffers = (task: SegmentTask): SegmentTask => {
    const buffers = spare.pop();
    return buffers ? { ...task, buffers } : task;
  };
  /** Ranges a thread gave back unread (it failed, or died): read here. */
  const redo = new Set<number>();
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const pool = takeThreads(threads);
  for (const t of pool) {
    t.onMessage = (m) => {
      if ('done' in m) {
        t.inflight.delete(m.done.seg);
        results.set(m.done.seg, m.done);
        if (threadStats) {
          threadStats.ranges++;
          threadStats.lines += m.done.lines;
        }
      } else if ('failed' in m) {
        t.inflight.delete(m.seg);
        redo.add(m.seg);
      }
      poke();
    };
    t.onDeath = () => {
      for (const seg of t.inflight) redo.add(seg);
      t.inflight.clear();
      poke();
    };
  }
  let consumed = 0;
  let base = 0;
  try {
    while (awaitThreads && pool.some((t) => !t.ready && !t.dead)) await new Promise<void>((resolve) => (wake = resolve));
    for (;;) {
      // Hand out ranges to ready threads, a few ahead of the one to store.
      for (const t of pool) {
        while (t.ready && !t.dead && t.inflight.size < AHEAD_PER_THREAD && tasks.length - consumed < ahead) {
          const task = nextTask();
          if (!task) break;
          t.inflight.add(task.seg);
          const sent = withBuffers(task);
          t.worker.postMessage(sent, sent.buffers ? buffersOf(sent.buffers) : []);
        }
      }
      const done = results.get(consumed);
      if (done) {
        results.delete(consumed);
        if (stats) {
          stats.fast += done.stats.fast;
          stats.general += done.stats.general;
        }
        replayer.replay(done, base);
        spare.push(done.buffers);
        base += done.lines;
        consumed++;
        continue;
      }
      // The next range is not with a thread (not handed out yet, or given back): read it here, straight to onStep.
      let task: SegmentTask | null = null;
      if (redo.has(consumed)) {
        redo.delete(consumed);
        task = tasks[consumed];
      } else if (consumed === tasks.length) {
        task = nextTask();
        if (!task) return;
      }
      if (task) {
        reader.base = base;
        base += await forEachLine(file, reader.visit, task.end === null ? { start: task.start } : { start: task.start, end: task.end });
        consumed++;
        continue;
      }
      // Waiting for a thread: rather than idle, read a later range into columns as a thread would.
      const later = redo.size > 0 ? tasks[Math.min(...redo)] : tasks.length - consumed < ahead ? nextTask() : null;
      if (later) {
        redo.delete(later.seg);
        results.set(later.seg, scanSegment(withBuffers(later)).columns);
        // A thread's replies arrive only when this thread yields: without it, a thread done early sits idle with nothing to read.
        await yieldToLoop();
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    closeSync(fd);
    giveBack(pool);
    // This thread's scan state (read buffer, the last range's columns) served this read only.
    readBuffer = null;
    segmentBuilder = null;
  }
}
