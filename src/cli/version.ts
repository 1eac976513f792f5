import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package version, recorded in every manifest so a run can be rebuilt. */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The checkout this CLI runs from: queue jobs are fingerprinted against it, and scenario paths travel relative to it. */
export const CHECKOUT_ROOT: string = fileURLToPath(new URL('../../', import.meta.url));
