/**
 * Render a vega-lite spec to SVG (vega, headless: renderer 'none') and the
 * SVG to PNG (resvg; no browser). Text in the PNG needs a system font; when
 * none is usable the PNG is still written, without text, and `fontWarning`
 * says what to install.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

/** Shared look: white background, readable sizes, one font family for SVG and PNG. */
export const CHART_CONFIG = {
  background: 'white',
  font: 'sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 280 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 14, anchor: 'start' },
} as const;

/**
 * Compile and render one chart to SVG text. Deterministic for a given spec.
 * vega-lite/vega warnings go to `onWarning` (never to the console).
 */
export async function renderSvg(spec: ChartSpec, onWarning: (message: string) => void = () => {}): Promise<string> {
  const logger = vega.logger(vega.Warn, 'warn', (_method, _level, args) => onWarning(args.map(String).join(' ')));
  const { spec: vg } = compile({ ...spec, config: CHART_CONFIG }, { logger });
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', join(homedir(), '.fonts'), join(homedir(), '.local/share/fonts')];
/** Preferred sans-serif families, by a file each ships (Debian package in the comment). */
const SANS_CANDIDATES: ReadonlyArray<[file: string, family: string]> = [
  ['DejaVuSans.ttf', 'DejaVu Sans'], // fonts-dejavu-core
  ['LiberationSans-Regular.ttf', 'Liberation Sans'], // fonts-liberation
  ['NotoSans-Regular.ttf', 'Noto Sans'], // fonts-noto-core
  ['FreeSans.ttf', 'FreeSans'], // fonts-freefont-ttf
];

export interface FontSetup {
  readonly options: NonNullable<ResvgRenderOptions['font']>;
  /** The family 'sans-serif' maps to, when a known one was found. */
  readonly family: string | null;
  /** Whether a probe text actually rendered with these options. */
  readonly rendersText: boolean;
}

/** Render a word and look for ink: the only reliable test that resvg found a usable font. */
function probeText(options: FontSetup['options']): boolean {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="24"><text x="2" y="18" font-family="sans-serif" font-size="16">Hg²</text></svg>';
  const px = new Resvg(svg, { font: options, background: 'white', logLevel: 'off' }).render().pixels;
  for (let i = 0; i < px.length; i += 4) if (px[i] < 128) return true;
  return false;
}

/**
 * Scan `dirs` for font files and build resvg's font options; `system` also
 * lets resvg load the fonts it knows of (on unless a test turns it off).
 */
export function findFonts(dirs: readonly string[], system = true): FontSetup {
  const present = dirs.filter((d) => existsSync(d));
  const files: string[] = [];
  for (const d of present) collectFonts(d, files, 4);
  let family: string | null = null;
  for (const [file, fam] of SANS_CANDIDATES) {
    if (files.some((f) => f.endsWith('/' + file))) {
      family = fam;
      break;
    }
  }
  const options: FontSetup['options'] = { loadSystemFonts: system, fontDirs: present, defaultFontSize: 12 };
  if (family) Object.assign(options, { sansSerifFamily: family, defaultFontFamily: family });
  return { options, family, rendersText: probeText(options) };
}

let cachedFonts: FontSetup | null = null;

/** The system's fonts, found once per process. */
export function fontSetup(): FontSetup {
  cachedFonts ??= findFonts(FONT_DIRS);
  return cachedFonts;
}

function collectFonts(dir: string, out: string[], depth: number): void {
  if (depth < 0 || out.length > 5000) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // unreadable directory: not our concern, fonts are best effort
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) collectFonts(p, out, depth - 1);
    else if (/\.(ttf|otf|ttc)$/i.test(e.name)) out.push(p);
  }
}

/** A one-line warning when PNG text cannot render, else null. */
export function fontWarning(fonts: FontSetup = fontSetup()): string | null {
  return fonts.rendersText
    ? null
    : 'no system fonts found: PNG plots will have no text (install fonts-dejavu-core); the SVG plots are unaffected';
}

/** Rasterise SVG text to PNG bytes at `scale` × the SVG's size, on white. */
export function svgToPng(svg: string, scale = 2, fonts: FontSetup = fontSetup()): Buffer {
  const resvg = new Resvg(svg, {
    font: fonts.options,
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    logLevel: 'off',
  });
  return resvg.render().asPng();
}
