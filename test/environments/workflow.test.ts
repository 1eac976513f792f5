import { describe, expect, it } from 'vitest';
import { assign, createMachine, initialTransition, setup, transition, type AnyStateNode } from 'xstate';
import { checkEnvironment, createRng } from '../../src/core/index.js';
import workflow from '../../environments/workflow/index.js';
import { compileChart } from '../../environments/workflow/compile.js';
import { machineToMermaid, mermaidId } from '../../environments/workflow/mermaid.js';
import { buildRunbook, CHANNEL_FOR, FIX_FOR, layout, stageId } from '../../environments/workflow/runbook.js';

const params = workflow.params.parse({});
type State = ReturnType<typeof workflow.reset>;

function step(s: State, e: string): State {
  const r = workflow.step(s, e);
  if (r.kind !== 'ok') throw new Error(r.reason);
  return r.state;
}

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((c) => allNodes(c as AnyStateNode))];
}

describe('workflow environment', () => {
  it('passes the contract checker', () => {
    expect(checkEnvironment(workflow, {}, [1, 2, 3, 4, 5, 8, 13, 32, 60])).toEqual([]);
    expect(checkEnvironment(workflow, { maxFailures: 0 }, [1, 6, 20])).toEqual([]);
    expect(checkEnvironment(workflow, { maxFailures: 1 }, [7, 21])).toEqual([]);
  });

  it('the oracle path is exactly H steps for many seeds and horizons', () => {
    for (const h of [...Array.from({ length: 20 }, (_, i) => i + 1), 33, 47]) {
      for (let i = 0; i < 2; i++) {
        let s = workflow.reset(params, h, createRng(`h${h}:${i}`));
        let t = 0;
        while (!workflow.outcome(s).success && t <= h) {
          s = step(s, workflow.oracle(s));
          t++;
        }
        expect(t).toBe(h);
      }
    }
  });

  it('the compiled table agrees with xstate run directly', () => {
    const s0 = workflow.reset(params, 30, createRng('agree'));
    const machine = buildRunbook(s0.instance.stages);
    const rng = createRng('walk');
    let [snap] = initialTransition(machine, { flags: (s0.instance.chart.snapshots[0].context as { flags: unknown }).flags });
    let s = s0;
    for (let t = 0; t < 200 && snap.status !== 'done'; t++) {
      const space = workflow.actions(s);
      if (space.kind !== 'discrete') throw new Error('expected discrete');
      const e = space.actions[rng.int(space.actions.length)];
      [snap] = transition(machine, snap, { type: e });
      s = step(s, e);
      const compiled = s.instance.chart.snapshots[s.config];
      expect(compiled.value).toEqual(snap.value);
      expect(compiled.context).toEqual(snap.context);
    }
  });

  it('a verify stage needs exactly k retries for its seeded k failures', () => {
    const h = 40;
    const s0 = workflow.reset(params, h, createRng('retries'));
    const flags = (s0.instance.chart.snapshots[0].context as { flags: { failures?: number }[] }).flags;
    const verify = s0.instance.stages.flatMap((k, i) => (k === 'verify' ? [i] : []));
    expect(verify.length).toBeGreaterThan(1);
    // Failures total one per verify stage, so H does not depend on the seed.
    expect(verify.reduce((a, i) => a + (flags[i].failures ?? 0), 0)).toBe(verify.length);
    let s = s0;
    const retries = new Map<number, number>();
    while (!workflow.outcome(s).success) {
      const e = workflow.oracle(s);
      const stage = (workflow.observe(s).data as { stage: number }).stage - 1;
      if (e === 'RETRY') retries.set(stage, (retries.get(stage) ?? 0) + 1);
      s = step(s, e);
    }
    for (const i of verify) expect(retries.get(i) ?? 0).toBe(flags[i].failures);
  });

  it('branches on the seeded cause and severity; wrong choices cost a detour', () => {
    let s = workflow.reset(params, 7, createRng('branch'));
    expect(s.instance.stages).toEqual(['acknowledge', 'diagnose', 'verify', 'notify', 'handover']);
    const flags = (s.instance.chart.snapshots[0].context as { flags: { cause?: string; severity?: string }[] }).flags;
    s = step(s, 'ACKNOWLEDGE');
    s = step(s, 'CHECK_LOGS');
    const right = FIX_FOR[flags[1].cause as keyof typeof FIX_FOR];
    expect(workflow.oracle(s)).toBe(right);
    const wrong = Object.values(FIX_FOR).find((f) => f !== right)!;
    const failed = step(s, wrong);
    expect(workflow.observe(failed).text).toMatch(/did not help/);
    expect(workflow.oracle(failed)).toBe('REVERT');
    // Progress H - distance: 2 steps made, then the wrong fix needs a REVERT, so the distance went up by one.
    expect(workflow.measure!(failed, 3)).toEqual({ value: [1], target: [3] });
    expect(workflow.step(failed, 'SNOOZE')).toMatchObject({ kind: 'illegal' });
    s = step(s, right);
    while ((workflow.observe(s).data as { state: string }).state !== 'drafting') s = step(s, workflow.oracle(s));
    expect(workflow.oracle(s)).toBe(CHANNEL_FOR[flags[3].severity as keyof typeof CHANNEL_FOR]);
    expect(workflow.outcome(s).value).toEqual([1, 1, 1, 0, 0]);
  });

  it('the Mermaid chart is generated from the machine and names every state', () => {
    const chart = workflow.chart!(params, 12);
    expect(chart.startsWith('stateDiagram-v2\n')).toBe(true);
    const machine = buildRunbook(layout(12, 2));
    const nodes = allNodes(machine.root).slice(1);
    expect(nodes.length).toBeGreaterThan(20);
    for (const n of nodes) expect(chart).toContain(mermaidId(n));
    expect(chart).toContain(`[*] --> ${stageId(0, 'acknowledge')}`);
    expect(chart).toContain('s1_diagnose__diagnosed --> s1_diagnose__mitigated : FAILOVER_DB [causeIs 1 database]');
    expect(chart).toContain('s1_diagnose__diagnosed --> s1_diagnose__mitigationFailed : FAILOVER_DB [else]');
    expect(chart).toContain('s2_verify__failed --> s2_verify__failed : RETRY [else]');
    expect(chart).toContain('s0_acknowledge --> s1_diagnose : done');
    expect(chart).toContain('resolved --> [*]');
    // A different horizon gives a different chart: it is not a fixed string.
    expect(workflow.chart!(params, 3)).not.toEqual(chart);
  });

  it('lists only the events the configuration accepts, with a text observation', () => {
    const s = workflow.reset(params, 10, createRng('obs'));
    expect(workflow.actions(s)).toEqual({ kind: 'discrete', actions: ['ACKNOWLEDGE', 'SNOOZE'] });
    expect(workflow.observe(s).text).toMatch(/^Stage 1 of \d+ \(acknowledge\)\. PAGE: .* Available actions: ACKNOWLEDGE, SNOOZE\.$/);
    expect(workflow.instructions!(s)).toMatch(/ROLLBACK_DEPLOY/);
  });

  it('compileChart: self-loops are accepted, guarded-out events are not, distances by BFS', () => {
    const m = setup({ guards: { never: () => false } }).createMachine({
      id: 'tiny',
      initial: 'a',
      states: {
        a: { on: { WAIT: 'a', GO: 'b', BLOCKED: { guard: 'never', target: 'c' } } },
        b: { on: { BACK: 'a', FINISH: 'c' } },
        c: { type: 'final' },
      },
    });
    const chart = compileChart(m, undefined);
    expect(chart.size).toBe(3);
    expect(chart.events).toEqual([['WAIT', 'GO'], ['BACK', 'FINISH'], []]);
    expect(Array.from(chart.dist)).toEqual([2, 1, 0]);
    expect(Array.from(chart.best)).toEqual([1, 1, -1]);
    expect(Array.from(chart.final)).toEqual([0, 0, 1]);
    expect(machineToMermaid(m)).toBe(
      ['stateDiagram-v2', '  [*] --> a', '  a', '  b', '  c', '  c --> [*]', '  a --> a : WAIT', '  a --> b : GO', '  a --> c : BLOCKED [never]', '  b --> a : BACK', '  b --> c : FINISH', ''].join('\n'),
    );
  });

  it('compileChart refuses an unbounded context', () => {
    const m = createMachine({ id: 'counter', context: { n: 0 }, initial: 'a', states: { a: { on: { INC: { actions: assign({ n: ({ context }) => context.n + 1 }) } } } } });
    expect(() => compileChart(m, undefined, 50)).toThrow(/more than 50 reachable configurations/);
  });
});
