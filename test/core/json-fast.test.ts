/**
 * The step line's specialised serializers must print exactly what
 * JSON.stringify prints: checked on immer's own patches for many kinds of
 * change, and on the odd numbers (NaN, ±Infinity, -0, 1e21, tiny floats).
 */
import { describe, expect, it } from 'vitest';
import { enablePatches, produceWithPatches } from 'immer';
import { canonicalJson, LineVectors, numberJson, patchesJson, vectorJson } from '../../src/core/index.js';

enablePatches();

const ODD = [0, -0, 1, -1, 0.1, 1 / 3, 1e21, 1e-7, -1.5e-300, 2 ** 53, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE];

describe('json-fast', () => {
  it('numberJson and vectorJson print what JSON.stringify prints', () => {
    for (const n of ODD) expect(numberJson(n)).toBe(JSON.stringify(n));
    expect(vectorJson(ODD)).toBe(JSON.stringify(ODD));
    expect(vectorJson([])).toBe('[]');
    expect(vectorJson(7.25)).toBe('7.25');
    expect(vectorJson(NaN)).toBe('null');
    // Not a number vector: the generic path, same text.
    for (const odd of [[1, 'a'], [1, null], [[1, 2]], null, 'x', { a: 1 }, [1, undefined]]) expect(vectorJson(odd)).toBe(JSON.stringify(odd));
  });

  it("patchesJson prints immer's patches as JSON.stringify does", () => {
    const base = {
      n: 1,
      s: 'a',
      list: [1, 2, 3],
      nested: { deep: { v: 1, w: [0] } },
      'odd "key"\n': 0,
      gone: true,
      map: {} as Record<string, unknown>,
    };
    const recipes: ((d: typeof base) => void)[] = [
      (d) => {
        d.n = 2;
        d.s = 'quote " and \\ and ü and \u2028 and \ud800';
      },
      (d) => {
        d.list.push(4, 5);
      },
      (d) => {
        d.list.splice(0, 2);
      },
      (d) => {
        d.list[1] = NaN;
        d.n = Infinity;
      },
      (d) => {
        d.nested.deep.v = -0;
        d.nested.deep.w.push(1e21);
      },
      (d) => {
        d['odd "key"\n'] = 1;
        delete (d as Partial<typeof base>).gone;
      },
      (d) => {
        d.map['k'] = { a: [1, { b: null }], c: undefined };
        d.nested = { deep: { v: 9, w: [] } };
      },
      (d) => {
        d.s = d.s + '';
      },
    ];
    for (const recipe of recipes) {
      const [, patches, inverse] = produceWithPatches(base, recipe);
      expect(patchesJson(patches)).toBe(JSON.stringify(patches));
      expect(patchesJson(inverse)).toBe(JSON.stringify(inverse));
    }
  });

  it('anything that is not an immer patch goes to JSON.stringify whole', () => {
    const odd: unknown[][] = [
      [{ path: ['x'], op: 'replace', value: 1 }],
      [{ op: 'replace', path: ['x'], value: 1, extra: 2 }],
      [{ op: 'replace', path: 'x', value: 1 }],
      [{ op: 'replace', path: [{ k: 1 }], value: 1 }],
      [{ op: 'replace', path: ['x'], value: undefined }],
      [Object.assign(Object.create({ inherited: 1 }), { op: 'add', path: [0], value: 1 })],
      [null],
    ];
    for (const p of odd) expect(patchesJson(p)).toBe(JSON.stringify(p));
  });
});

describe('frozen values are printed once, and only when nothing in them can change', () => {
  it('vectorJson: a frozen array of numbers prints as JSON.stringify, again and again', () => {
    const v = Object.freeze([1, 0.1, -0, NaN, 1e21]) as number[];
    for (let i = 0; i < 3; i++) {
      expect(vectorJson(v)).toBe(JSON.stringify(v));
    }
  });

  it('a shallowly frozen array, a getter, a subclass: printed afresh, so a change shows', () => {
    const inner = { k: 1 };
    const holder = Object.freeze([inner]);
    expect(vectorJson(holder)).toBe('[{"k":1}]');
    inner.k = 2;
    expect(vectorJson(holder)).toBe('[{"k":2}]');
    let n = 0;
    const getter = Object.freeze(Object.defineProperty([0], 0, { get: () => ++n, enumerable: true })) as number[];
    expect(vectorJson(getter)).toBe('[1]');
    expect(vectorJson(getter)).toBe('[2]');
  });

  it('canonicalJson: a frozen object of primitives once; a frozen object holding a mutable one afresh', () => {
    const move = Object.freeze({ to: 'C', from: 'A' });
    expect(canonicalJson(move)).toBe('{"from":"A","to":"C"}');
    expect(canonicalJson(move)).toBe('{"from":"A","to":"C"}');
    const inner = { k: 1 };
    const outer = Object.freeze({ inner, b: 2 });
    expect(canonicalJson(outer)).toBe('{"b":2,"inner":{"k":1}}');
    inner.k = 5;
    expect(canonicalJson(outer)).toBe('{"b":2,"inner":{"k":5}}');
    const list = [1];
    const frozenList = Object.freeze([list, 'a']);
    expect(canonicalJson(frozenList)).toBe('[[1],"a"]');
    list.push(2);
    expect(canonicalJson(frozenList)).toBe('[[1,2],"a"]');
    let n = 0;
    const getter = Object.freeze(Object.defineProperty({}, 'v', { get: () => ++n, enumerable: true }));
    expect(canonicalJson(getter)).toBe('{"v":1}');
    expect(canonicalJson(getter)).toBe('{"v":2}');
  });
});

describe('LineVectors: an array printed twice in one step line is printed once', () => {
  it('a patch value and the features, the same array: the second print comes from the line, by identity', () => {
    const line = new LineVectors();
    const x = [0.1, 1 / 3, -2.5e-7, 4];
    const patches = [{ op: 'replace', path: ['x'], value: x }, { op: 'replace', path: ['t'], value: 3 }];
    const measure = [1 / 7, 2, 3, 4];
    const target = Object.freeze([5, 6, 7, 8]);
    line.clear();
    expect(patchesJson(patches, line)).toBe(JSON.stringify(patches));
    expect(vectorJson(measure, line)).toBe(JSON.stringify(measure));
    expect(vectorJson(target, line)).toBe(JSON.stringify(target));
    // Written in the same line (which a pure environment never does): the line's own print shows it came from memory.
    x[0] = 99;
    expect(vectorJson(x, line)).toBe('[0.1,0.3333333333333333,-2.5e-7,4]');
    // An equal but distinct array is printed, not looked up.
    expect(vectorJson([0.1, 1 / 3, -2.5e-7, 4], line)).toBe('[0.1,0.3333333333333333,-2.5e-7,4]');
    expect(vectorJson([99, 1 / 3, -2.5e-7, 4], line)).toBe('[99,0.3333333333333333,-2.5e-7,4]');
  });

  it('the next line prints afresh: a change between lines always shows', () => {
    const line = new LineVectors();
    const x = [1, 2];
    line.clear();
    expect(vectorJson(x, line)).toBe('[1,2]');
    x[1] = 3;
    line.clear();
    expect(vectorJson(x, line)).toBe('[1,3]');
    // More arrays than it holds: every one still prints right.
    line.clear();
    const many = Array.from({ length: 9 }, (_, i) => [i, i / 3]);
    for (let round = 0; round < 2; round++) for (const v of many) expect(vectorJson(v, line)).toBe(JSON.stringify(v));
  });

  it('a patch whose value is an array of anything but numbers prints as JSON.stringify', () => {
    const line = new LineVectors();
    const odd = [{ op: 'add', path: ['a', 0], value: [1, 'b', null, [2]] }, { op: 'replace', path: ['m'], value: [NaN, -0, Infinity] }, { op: 'add', path: ['e'], value: [] }];
    expect(patchesJson(odd)).toBe(JSON.stringify(odd));
    line.clear();
    expect(patchesJson(odd, line)).toBe(JSON.stringify(odd));
  });
});
