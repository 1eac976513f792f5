/**
 * `import inspect` across Inspect's formats, built from the real logs:
 * zstd entries (compressed by the real zstd tool) read like deflate; a
 * version 1 log (single `score`, `transcript`) like its version 2 original;
 * a version 3 sample without `messages` is rebuilt through its message pool;
 * the streaming .json splitter agrees with JSON.parse however the text is
 * chunked. Plus the mapping rules: value_to_float, --scorer, limits and
 * errors, attachments, ids.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashString, isHotmessError } from '../../src/core/index.js';
import { importInspect } from '../../src/import/index.js';
import { EvalJsonSplitter } from '../../src/import/inspect/json-split.js';
import { outcomeOf, valueToFloat } from '../../src/import/inspect/score.js';
import { cleanup, readRun, tempDir } from './helpers.js';
import { evalEntries, inspectLog, jsonLog, writeZip, HAVE_INSPECT, warnSkipped } from './inspect-fixtures.js';

warnSkipped('test/import/inspect-formats');

afterAll(cleanup);

/** A run's records without the fields that name the input file. */
function records(dir: string) {
  const run = readRun(dir);
  const rollouts = run.rollouts.map(({ info, ...r }) => ({ ...r, info: { ...info, file: undefined } }));
  const steps = [...run.steps].sort((a, b) => (a.rollout < b.rollout ? -1 : a.rollout > b.rollout ? 1 : a.t - b.t));
  return { rollouts, steps };
}

const writeJson = (dir: string, name: string, log: unknown): string => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(log, null, 2));
  return file;
};

describe.skipIf(!HAVE_INSPECT)('import inspect: formats', () => {
  it('zstd-compressed entries import exactly as the deflate original', async () => {
    const dir = tempDir();
    const zstd = join(dir, 'streaming-zstd.eval');
    writeZip(zstd, evalEntries(inspectLog('log_streaming.eval')), 'zstd');
    // The entries really are zstd (method 93): fflate's own reader knows only stored and deflate.
    expect(() => unzipSync(readFileSync(zstd))).toThrow(/unknown compression type 93/);
    await importInspect(inspectLog('log_streaming.eval'), { out: join(dir, 'deflate') });
    await importInspect(zstd, { out: join(dir, 'zstd') });
    expect(records(join(dir, 'zstd'))).toEqual(records(join(dir, 'deflate')));
    expect(readRun(join(dir, 'zstd')).steps).toHaveLength(4);
  });

  it('a version 1 log (one `score`, results.scorer, transcript.content) imports as its version 2 original', async () => {
    const dir = tempDir();
    const v1 = jsonLog('log_read_sample.json');
    v1.version = 1;
    v1.results = { total_samples: 1, completed_samples: 1, scorer: { name: 'match', params: {} }, metrics: {} };
    for (const s of v1.samples) {
      s.score = s.scores.match;
      delete s.scores;
      s.transcript = { events: s.events, content: s.attachments };
      delete s.events;
      delete s.attachments;
    }
    await importInspect(inspectLog('log_read_sample.json'), { out: join(dir, 'v2') });
    await importInspect(writeJson(dir, 'v1.json', v1), { out: join(dir, 'v1') });
    expect(records(join(dir, 'v1'))).toEqual(records(join(dir, 'v2')));
    expect(readRun(join(dir, 'v1')).rollouts[0].outcome.success).toBe(true);
  });

  it('version 3: a sample without `messages` is rebuilt from its last model event through the message pool', async () => {
    const dir = tempDir();
    const entries = evalEntries(inspectLog('log_message_deduplication.eval')).map(([name, text]): [string, string] => {
      if (!name.startsWith('samples/')) return [name, text];
      const s = JSON.parse(text);
      // The pool really is used: the last model event's input is all ranges, no messages.
      const last = s.events.filter((e: any) => e.event === 'model').at(-1);
      expect(last.input).toEqual([]);
      expect(last.input_refs.length).toBeGreaterThan(0);
      return [name, JSON.stringify({ ...s, messages: [] })];
    });
    const pooled = join(dir, 'pooled.eval');
    writeZip(pooled, entries);
    await importInspect(inspectLog('log_message_deduplication.eval'), { out: join(dir, 'messages') });
    await importInspect(pooled, { out: join(dir, 'pool') });
    const a = records(join(dir, 'messages'));
    const b = records(join(dir, 'pool'));
    expect(b.steps).toEqual(a.steps);
    expect(b.rollouts[0].info.messagesFrom).toBe('message-pool');
    expect(b.steps.map((s) => s.action.tool ?? 'respond')).toEqual(['bash', 'bash', 'bash', 'bash', 'bash', 'respond']);
  });

  it('the .json splitter gives JSON.parse\'s members and samples however the text is chunked', () => {
    const texts = [readFileSync(inspectLog('log_read_sample.json'), 'utf8'), readFileSync(inspectLog('log_tool_call_error.json'), 'utf8')];
    // Escapes, quotes and brackets inside strings, next to chunk boundaries.
    texts.push(JSON.stringify({ version: 2, eval: { task: 'a"}]\\', model: 'm' }, samples: [{ id: '\\"{[', epoch: 1, messages: [] }, { id: 2, epoch: 1 }], status: 'success', n: -1.5e3, t: true }));
    for (const text of texts) {
      const doc = JSON.parse(text);
      for (const size of [1, 2, 7, 64, 1 << 20]) {
        const split = new EvalJsonSplitter();
        const members: Record<string, unknown> = {};
        const samples: unknown[] = [];
        for (let i = 0; i < text.length; i += size) {
          for (const ev of split.push(text.slice(i, i + size))) {
            if (ev.kind === 'member') members[ev.key] = JSON.parse(ev.text);
            else samples[ev.index] = JSON.parse(ev.text);
          }
        }
        split.end();
        const { samples: expected, ...rest } = doc;
        expect(members, `chunk ${size}`).toEqual(rest);
        expect(samples, `chunk ${size}`).toEqual(expected);
      }
    }
  });

  it('a cut-short .json is an error at the end, not a silent partial import', () => {
    const text = readFileSync(inspectLog('log_read_sample.json'), 'utf8');
    const split = new EvalJsonSplitter();
    split.push(text.slice(0, Math.floor(text.length * 0.8)));
    expect(() => split.end()).toThrow(/unexpected end of file .*inside samples\[0\]/);
  });
});

describe.skipIf(!HAVE_INSPECT)('import inspect: mapping', () => {
  it("value_to_float follows Inspect's rules", () => {
    const cases: Array<[unknown, number]> = [['C', 1], ['P', 0.5], ['I', 0], ['N', 0], [0.25, 0.25], [true, 1], [false, 0], ['Yes', 1], ['TRUE', 1], ['no', 0], ['False', 0], ['0.75', 0.75], ['12', 12], ['maybe', 0]];
    for (const [v, f] of cases) expect(valueToFloat(v), JSON.stringify(v)).toBe(f);
    expect(outcomeOf('P')).toEqual({ kind: 'coverage', value: [0.5], target: [1], success: false });
    expect(outcomeOf({ a: 'C', b: 1 })).toEqual({ kind: 'coverage', value: [1, 1], target: [1, 1], success: true });
    expect(outcomeOf(['C', 'I'])).toEqual({ kind: 'coverage', value: [1, 0], target: [1, 1], success: false });
    expect(outcomeOf(null)).toBeNull();
  });

  /** log_read_sample.json with four samples: scored C, on a limit, with an error, and a P under a second scorer. */
  function variants(): Record<string, any> {
    const log = jsonLog('log_read_sample.json');
    const base = log.samples[0];
    const at = (o: object) => ({ ...structuredClone(base), ...o });
    log.samples = [
      at({ epoch: 1, scores: { match: { value: 'C' }, judge: { value: 'P' } } }),
      at({ epoch: 2, scores: { match: { value: 'I' }, judge: { value: 1 } }, limit: { type: 'message', limit: 4 } }),
      at({ epoch: 3, scores: { match: { value: 'C' } }, error: { message: 'sandbox died', traceback: '', traceback_ansi: '' } }),
      at({ epoch: 4, scores: { judge: { value: 'C' } } }),
    ];
    return log;
  }

  it('limits are truncated, errors error (with the message), a missing score an unscored error', async () => {
    const dir = tempDir();
    await importInspect(writeJson(dir, 'v.json', variants()), { out: join(dir, 'out') });
    const rs = readRun(join(dir, 'out')).rollouts;
    expect(rs.map((r) => r.termination)).toEqual(['terminated', 'truncated', 'error', 'error']);
    expect(rs[1].info.limit).toEqual({ type: 'message', limit: 4 });
    expect(rs[2].error).toBe('sandbox died');
    expect(rs[2].info.error).toEqual({ message: 'sandbox died', traceback: '' });
    expect(rs[3].error).toBe('unscored: no "match" score');
    expect(rs.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(rs[0].info.epoch).toBe(1);
  });

  it('--scorer picks the outcome; an unknown one is a usage error that lists the scorers', async () => {
    const dir = tempDir();
    const file = writeJson(dir, 'v.json', variants());
    await importInspect(file, { out: join(dir, 'judge'), scorer: 'judge' });
    const rs = readRun(join(dir, 'judge')).rollouts;
    expect(rs.map((r) => r.outcome?.value[0] ?? null)).toEqual([0.5, 1, null, 1]);
    expect(rs.map((r) => r.termination)).toEqual(['terminated', 'truncated', 'error', 'terminated']);
    const err = await importInspect(file, { out: join(dir, 'x'), scorer: 'nope' }).catch((e: unknown) => e);
    expect(isHotmessError(err) && err.code === 'usage').toBe(true);
    expect((err as Error).message).toBe('--scorer nope: no sample has that score (scorers in the logs: match, judge)');
  });

  it('attachment:// references are resolved; string ids with colons and negative ids become instances', async () => {
    const dir = tempDir();
    const log = jsonLog('log_read_sample.json');
    const s = log.samples[0];
    s.attachments = { abc123: 'the long question' };
    s.messages[1].content = 'attachment://abc123';
    log.samples = [
      { ...s, id: 'task:7' },
      { ...structuredClone(s), id: -3 },
    ];
    await importInspect(writeJson(dir, 'a.json', log), { out: join(dir, 'out') });
    const run = readRun(join(dir, 'out'));
    expect(run.steps[0].info.observation).toBe('user: the long question');
    expect(run.steps[0].obs).toBe(hashString('user: the long question'));
    expect(run.rollouts.map((r) => r.instance).sort()).toEqual(['-3', 'task_7']);
    expect(run.rollouts.map((r) => r.info.sampleId).sort()).toEqual([-3, 'task:7']);
  });

  it('rollouts are listed by sample id, numbers numerically before strings, then by epoch', async () => {
    const dir = tempDir();
    const log = jsonLog('log_read_sample.json');
    const s = log.samples[0];
    log.samples = [['b', 1], [10, 2], [2, 1], [10, 1], ['a', 1]].map(([id, epoch]) => ({ ...structuredClone(s), id, epoch }));
    await importInspect(writeJson(dir, 'ids.json', log), { out: join(dir, 'out') });
    expect(readRun(join(dir, 'out')).rollouts.map((r) => `${r.instance}/${r.info.epoch}`)).toEqual(['2/1', '10/1', '10/2', 'a/1', 'b/1']);
  });

  it('two logs of one task × model add their epochs to the same groups', async () => {
    const dir = join(tempDir(), 'logs');
    mkdirSync(dir);
    const entries = evalEntries(inspectLog('log_streaming.eval'));
    writeZip(join(dir, 'a.eval'), entries);
    writeZip(join(dir, 'b.eval'), entries);
    const summary = await importInspect(dir, { out: join(dir, '..', 'out') });
    expect(summary).toMatchObject({ agents: ['azureai/Meta-Llama-3-1-405B-Instruct-jqf'], groups: 2, rollouts: 8, files: 2 });
    const rs = readRun(join(dir, '..', 'out')).rollouts.filter((r) => r.instance === 1);
    expect(rs.map((r) => [r.index, r.info.file, r.info.epoch])).toEqual([
      [0, 'a.eval', 1],
      [1, 'a.eval', 2],
      [2, 'b.eval', 1],
      [3, 'b.eval', 2],
    ]);
  });
});
