// One section of `npm run bench` in a process of its own: bench/run.js starts
// one per section, so no section measures inside a heap, allocator and page
// cache another section has just churned through (gigabytes of rows and
// engines). Usage: node bench/section.js <name> <options as JSON> <result file>.
import { writeFileSync } from 'node:fs';
import { benchFilodb } from './filodb/index.js';
import { benchFlights } from './flights.js';
import { benchHttp } from './http.js';
import { benchIngest } from './ingest.js';
import { benchKernels } from './kernels.js';
import { benchDeletes, benchLifecycleStream } from './lifecycle.js';
import { benchKafka } from './kafka.js';
import { benchConsole } from './console.js';
import { benchHistory, benchHttpStream, benchStream } from './stream.js';
import { benchTsbs } from './tsbs/index.js';

const sections = {
  ingest: benchIngest, filodb: benchFilodb, httpStream: benchHttpStream, stream: benchStream,
  history: benchHistory, kafka: benchKafka, console: benchConsole, deletes: benchDeletes, lifecycle: benchLifecycleStream, kernels: benchKernels, tsbs: benchTsbs, flights: benchFlights, http: benchHttp,
};

const [name, options, out] = process.argv.slice(2);
const run = sections[name];
if (!run || !out) throw new Error(`usage: node bench/section.js <${Object.keys(sections).join('|')}> <options JSON> <result file>`);
const log = (m) => console.log(m);
const result = await run({ ...JSON.parse(options ?? '{}'), log });
writeFileSync(out, JSON.stringify(result));
// Servers, pools and drivers a section leaves open must not keep the process (and the run) waiting.
process.exit(0);
