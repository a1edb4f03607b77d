// TSBS "cpu-only" data, generated the way TSBS's devops use case does it:
// every host gets 10 tags drawn once from TSBS's value lists and 10 cpu
// fields, each a random walk with N(0, 1) steps clamped to [0, 100] from a
// random start, sampled every 10 s from 2016-01-01T00:00:00Z. Each host has
// its own seeded random stream, so a host's rows do not depend on how hosts
// are grouped into batches. (TSBS itself prints the fields as integers; here
// they stay doubles.)

export const tagNames = ['hostname', 'region', 'datacenter', 'rack', 'os', 'arch', 'team', 'service', 'service_version', 'service_environment'];
export const fieldNames = ['usage_user', 'usage_system', 'usage_idle', 'usage_nice', 'usage_iowait', 'usage_irq', 'usage_softirq', 'usage_steal', 'usage_guest', 'usage_guest_nice'];
/** Column order of the `cpu` table everywhere: time, tags, fields. */
export const columnNames = ['time', ...tagNames, ...fieldNames];
export const strataSchema = ['time:timestamp', ...tagNames.map((t) => `${t}:string`), ...fieldNames.map((f) => `${f}:float64`)].join(',');

export const startMs = Date.UTC(2016, 0, 1);
export const stepMs = 10_000;

const regions = {
  'us-east-1': ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1e'],
  'us-west-1': ['us-west-1a', 'us-west-1b'],
  'us-west-2': ['us-west-2a', 'us-west-2b', 'us-west-2c'],
  'eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  'eu-central-1': ['eu-central-1a', 'eu-central-1b'],
  'ap-southeast-1': ['ap-southeast-1a', 'ap-southeast-1b'],
  'ap-southeast-2': ['ap-southeast-2a', 'ap-southeast-2b'],
  'ap-northeast-1': ['ap-northeast-1a', 'ap-northeast-1c'],
  'sa-east-1': ['sa-east-1a', 'sa-east-1b', 'sa-east-1c'],
};
const numbers = (n) => Array.from({ length: n }, (_, i) => String(i));

const fixedValues = {
  region: Object.keys(regions),
  datacenter: Object.values(regions).flat(),
  rack: numbers(100),
  os: ['Ubuntu16.10', 'Ubuntu16.04LTS', 'Ubuntu15.10'],
  arch: ['x64', 'x86'],
  team: ['SF', 'NYC', 'LON', 'CHI'],
  service: numbers(20),
  service_version: numbers(2),
  service_environment: ['production', 'staging', 'test'],
};

/** Every value a tag can take (hostname: host_0 .. host_{hosts-1}); a tag's value is stored as an index into its list. */
export function tagValues(hosts) {
  return { hostname: Array.from({ length: hosts }, (_, i) => `host_${i}`), ...fixedValues };
}

/** mulberry32: a small, fast, seeded uniform generator on [0, 1). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller, both values used). */
function normal(rand) {
  let spare = null;
  return () => {
    if (spare !== null) { const s = spare; spare = null; return s; }
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const a = 2 * Math.PI * rand();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
}

const hostSeed = (seed, host) => Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(host + 1, 0xc2b2ae35);

/** One host: its tag value indexes (into tagValues) and its fields over `intervals` ticks, written at `out[f][offset ..]`. */
function generateHost(seed, host, intervals, out, offset) {
  const rand = random(hostSeed(seed, host));
  const v = fixedValues;
  const pick = (list) => Math.floor(rand() * list.length);
  const region = pick(v.region);
  const dcs = regions[v.region[region]];
  const tags = [host, region, v.datacenter.indexOf(dcs[0]) + pick(dcs), pick(v.rack), pick(v.os), pick(v.arch), pick(v.team),
    pick(v.service), pick(v.service_version), pick(v.service_environment)];
  const step = normal(rand);
  for (let f = 0; f < fieldNames.length; f++) {
    const col = out[f];
    let state = rand() * 100;
    for (let t = 0; t < intervals; t++) {
      col[offset + t] = state;
      state += step();
      if (state < 0) state = 0; else if (state > 100) state = 100;
    }
  }
  return tags;
}

/**
 * Yields batches of whole hosts: `hostsPerBatch` hosts x `intervals` rows,
 * host by host, each host's rows in time order. A batch holds the host ids,
 * their tag indexes, and one Float64Array per field (row = host * intervals + tick).
 */
export function* cpuBatches({ hosts, intervals, hostsPerBatch, seed = 1 }) {
  for (let first = 0; first < hosts; first += hostsPerBatch) {
    const n = Math.min(hostsPerBatch, hosts - first);
    const fields = fieldNames.map(() => new Float64Array(n * intervals));
    const hostTags = [];
    for (let h = 0; h < n; h++) hostTags.push(generateHost(seed, first + h, intervals, fields, h * intervals));
    yield { firstHost: first, hosts: n, intervals, rows: n * intervals, hostTags, fields };
  }
}
