import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, whatever directory the bench is started from. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = resolve(root, 'fixtures');
export const benchDir = resolve(root, 'bench');
