import { readFileSync } from 'node:fs';

/** The package version, recorded in every manifest so a run can be rebuilt. */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
