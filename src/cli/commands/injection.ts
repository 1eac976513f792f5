/**
 * `hotmess injection RUN... [--out DIR] [--json]`: per-step accuracy after
 * the fork step against the injection rate, across fork runs made with
 * `fork --inject-rate` (metrics spec H3); --out writes the page and its plot.
 */
import type { Command } from 'commander';
import type { Cli } from '../io.js';
import { fmt, injectionSummary } from '../../analysis/index.js';

export function register(program: Command, cli: Cli): void {
  program
    .command('injection')
    .description('Per-step accuracy after K against the injection rate R across fork runs made with `fork --inject-rate`, with 95% bootstrap intervals and the slope (negative = self-conditioning). --out writes injection.md and its plot.')
    .argument('<runs...>', 'fork run directories (one per rate)')
    .option('--out <dir>', 'write DIR/injection.md and DIR/plots/injection.svg/.png')
    .option('--json', 'print the summary as JSON')
    .action(async (runs: string[], flags: { out?: string; json?: boolean }) => {
      const s = await injectionSummary(runs);
      // The report layer (vega, resvg) loads only when a page is written.
      const written = flags.out ? await (await import('../../report/index.js')).writeInjectionReport(s, flags.out) : null;
      if (flags.json) return cli.json({ ...s, ...(written ? { written } : {}) });
      cli.out('     R    K  continuations  p̂ after K [95% CI]\n');
      for (const p of s.points) cli.out(`${String(p.rate).padStart(6)}  ${String(p.step).padStart(3)}  ${String(p.continuations).padStart(13)}  ${fmt(p.accuracyAfter)}${p.ci ? ` [${fmt(p.ci[0])}, ${fmt(p.ci[1])}]` : ''}  ${p.run}\n`);
      cli.out(`slope of p̂ after K against R: ${fmt(s.slope)}${s.ci.slope ? ` [${fmt(s.ci.slope[0])}, ${fmt(s.ci.slope[1])}]` : ''}${s.slope !== null && s.ci.slope && s.ci.slope[1] < 0 ? ' (self-conditioning: errors in the history make later errors likelier)' : ''}\n`);
      if (written) cli.out(`report: ${written.report}\n`);
    });
}
