// `regurgitate --version`.
import { packageVersion } from '../native/load.js';

export function run(): number {
  process.stdout.write(`${packageVersion()}\n`);
  return 0;
}
