/**
 * Splits an Inspect EvalLog `.json` document as it streams in: each
 * top-level member other than `samples` is handed over whole (they are
 * small: eval, plan, results, stats, reductions), and each element of
 * `samples` on its own, so memory follows the largest sample, not the file.
 * Only the structure is checked here; every piece is then parsed with
 * JSON.parse, which reports its own syntax errors. Pure: no I/O.
 */

export type SplitEvent =
  | { readonly kind: 'member'; readonly key: string; readonly text: string }
  | { readonly kind: 'sample'; readonly index: number; readonly text: string };

type Mode = 'start' | 'key' | 'colon' | 'value' | 'after-value' | 'samples' | 'after-sample' | 'done';

const WS = new Set([' ', '\t', '\n', '\r']);
/** The next quote or backslash inside a string. */
const STRING_SPECIAL = /["\\]/g;

export class SyntaxProblem extends Error {}

export class EvalJsonSplitter {
  private mode: Mode = 'start';
  /** Characters consumed before the current chunk, for messages. */
  private offset = 0;
  private key = '';
  private sampleIndex = 0;
  // The value being captured (a key, a member's value or a sample).
  private capturing: 'key' | 'member' | 'sample' | null = null;
  private pending = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** A number, true, false or null: ends at the first delimiter. */
  private bare = false;
  private first = true;

  /** Feed the next chunk; returns the pieces it completed, in order. */
  push(chunk: string): SplitEvent[] {
    if (this.first) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    const out: SplitEvent[] = [];
    let start = this.capturing !== null ? 0 : -1;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.capturing !== null) {
        const end = this.scanValue(chunk, i);
        if (end === -1) {
          i = n;
          break;
        }
        // `end` is one past the value's last character.
        const text = this.pending + chunk.slice(start, end);
        this.pending = '';
        const what = this.capturing;
        this.capturing = null;
        start = -1;
        if (what === 'key') {
          this.key = JSON.parse(text) as string;
          this.mode = 'colon';
        } else if (what === 'member') {
          out.push({ kind: 'member', key: this.key, text });
          this.mode = 'after-value';
        } else {
          out.push({ kind: 'sample', index: this.sampleIndex++, text });
          this.mode = 'after-sample';
        }
        i = end;
        continue;
      }
      const c = chunk[i];
      if (WS.has(c)) {
        i++;
        continue;
      }
      switch (this.mode) {
        case 'start':
          if (c !== '{') throw this.problem(i, `expected an EvalLog object, got ${JSON.stringify(c)}`);
          this.mode = 'key';
          i++;
          continue;
        case 'key':
          if (c === '}') {
            this.mode = 'done';
            i++;
            continue;
          }
          if (c !== '"') throw this.problem(i, `expected a member name, got ${JSON.stringify(c)}`);
          this.begin('key', c);
          start = i;
          i++;
          continue;
        case 'colon':
          if (c !== ':') throw this.problem(i, `expected ":" after "${this.key}"`);
          this.mode = 'value';
          i++;
          continue;
        case 'value':
          if (this.key === 'samples' && c === '[') {
            this.mode = 'samples';
            i++;
            continue;
          }
          this.begin('member', c);
          start = i;
          i++;
          continue;
        case 'after-value':
          if (c === ',') this.mode = 'key';
          else if (c === '}') this.mode = 'done';
          else throw this.problem(i, `expected "," or "}" after "${this.key}"`);
          i++;
          continue;
        case 'samples':
          if (c === ']' && this.sampleIndex === 0) {
            this.mode = 'after-value';
            i++;
            continue;
          }
          if (c !== '{') throw this.problem(i, `samples[${this.sampleIndex}]: expected an object, got ${JSON.stringify(c)}`);
          this.begin('sample', c);
          start = i;
          i++;
          continue;
        case 'after-sample':
          if (c === ',') this.mode = 'samples';
          else if (c === ']') this.mode = 'after-value';
          else throw this.problem(i, `expected "," or "]" after samples[${this.sampleIndex - 1}]`);
          i++;
          continue;
        case 'done':
          throw this.problem(i, 'unexpected text after the EvalLog object');
      }
    }
    if (this.capturing !== null && start !== -1) this.pending += chunk.slice(start);
    this.offset += n;
    return out;
  }

  /** Call after the last chunk: a document cut short is an error. */
  end(): void {
    if (this.mode !== 'done') throw new SyntaxProblem(`unexpected end of file (at character ${this.offset}${this.capturing === 'sample' ? `, inside samples[${this.sampleIndex}]` : ''}); the log is cut short`);
  }

  private begin(what: 'key' | 'member' | 'sample', c: string): void {
    this.capturing = what;
    this.pending = '';
    this.inString = c === '"';
    this.escaped = false;
    this.bare = c !== '"' && c !== '{' && c !== '[';
    this.depth = c === '{' || c === '[' ? 1 : 0;
  }

  /**
   * Continue scanning the value being captured from `i` (its first
   * character already consumed). Returns the index one past its end, or -1
   * when it runs past the chunk.
   */
  private scanValue(s: string, i: number): number {
    const n = s.length;
    while (i < n) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          i++;
          continue;
        }
        STRING_SPECIAL.lastIndex = i;
        const m = STRING_SPECIAL.exec(s);
        if (m === null) return -1;
        i = m.index + 1;
        if (m[0] === '\\') {
          this.escaped = true;
          continue;
        }
        this.inString = false;
        if (this.depth === 0) return i;
        continue;
      }
      const c = s[i];
      if (this.bare) {
        if (c === ',' || c === '}' || c === ']' || WS.has(c)) return i;
        i++;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }

  private problem(i: number, what: string): SyntaxProblem {
    return new SyntaxProblem(`${what} (at character ${this.offset + i})`);
  }
}
