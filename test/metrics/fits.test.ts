import { describe, expect, it } from 'vitest';
import { featureDivergence, fitAgreement, fitGrowth, fitHazardSlope, linearFit } from '../../src/metrics/index.js';

describe('fits', () => {
  it('least squares matches hand values', () => {
    const f = linearFit([1, 2, 3], [1, 2, 2])!;
    expect(f.slope).toBeCloseTo(0.5, 12);
    expect(f.intercept).toBeCloseTo(2 / 3, 12);
    expect(f.r2).toBeCloseTo(0.75, 12);
    expect(linearFit([1], [1])).toBeNull();
    expect(linearFit([2, 2], [1, 3])).toBeNull();
  });
  it('q̂ recovers q from S(t) = qᵗ and gives the pair half-life', () => {
    const q = 0.83;
    const S = Array.from({ length: 20 }, (_, i) => q ** (i + 1));
    const f = fitAgreement(S);
    expect(f.q).toBeCloseTo(q, 12);
    expect(f.halfLife).toBeCloseTo(Math.log(0.5) / Math.log(q), 9);
  });
  it('q̂ through the origin skips S = 0 and is 1 with no half-life when nothing splits', () => {
    // log S = t log q only at t = 1, 2: S = (0.5, 0.25, 0)
    expect(fitAgreement([0.5, 0.25, 0]).q).toBeCloseTo(0.5, 12);
    expect(fitAgreement([1, 1, 1])).toEqual({ q: 1, halfLife: null });
    expect(fitAgreement([null, 0])).toEqual({ q: null, halfLife: null });
  });
  it('growth exponent of D = 3t² is 2 with R² = 1', () => {
    const f = fitGrowth(Array.from({ length: 10 }, (_, i) => 3 * (i + 1) ** 2));
    expect(f.growthExponent).toBeCloseTo(2, 12);
    expect(f.growthR2).toBeCloseTo(1, 12);
  });
  it('hazard slope of h = 0.1 + 0.02t is 0.02; nulls are skipped', () => {
    const h = Array.from({ length: 8 }, (_, i) => 0.1 + 0.02 * (i + 1));
    expect(fitHazardSlope(h)).toBeCloseTo(0.02, 12);
    expect(fitHazardSlope([null, 0.2, null, 0.4])).toBeCloseTo(0.1, 12);
  });
});

describe('regression: growth exponent fitted to rounding noise', () => {
  it('is null when identical rollouts give no divergence at any step', () => {
    // Three identical rollouts whose features grow with t (an inventory's cash).
    const D = Array.from({ length: 12 }, (_, i) => {
      const f = [0.1 * (i + 1), 19.5 + 10.7 * i];
      return featureDivergence([...f, ...f, ...f], 3, 2);
    });
    expect(D.every((d) => d === 0)).toBe(true);
    expect(fitGrowth(D)).toEqual({ growthExponent: null, growthR2: null });
  });
  it('needs two steps with positive divergence', () => {
    expect(fitGrowth([0, 0, 5, 0])).toEqual({ growthExponent: null, growthR2: null });
    expect(fitGrowth([0, 2, 0, 8])).toMatchObject({ growthExponent: expect.closeTo(2, 12) });
  });
});
