// A second process for tests/experiments/store.test.ts: claims a run in a results folder,
// records a partial metric, then either dies without cleaning up (crash) or keeps
// running until killed (hold).
//   vite-node tests/experiments/store_child.ts DIR RUN_ID crash|hold
import { openStore } from '../../ts/src/experiments/store/store.js';

const [dir, id, mode] = process.argv.slice(2);
const store = openStore(dir);
store.markRunning(id);
store.recordMetric(id, 'partial', 1);
process.stdout.write(`ready ${process.pid}\n`);
if (mode === 'crash') process.kill(process.pid, 'SIGKILL');
else setInterval(() => {}, 1000);
