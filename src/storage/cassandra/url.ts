import { StrataError } from '../../core/errors.js';

export interface CassandraLocation {
  contactPoints: string[];
  keyspace: string;
  localDataCenter: string;
  replicationFactor: number;
  /** Consistency of chunk and record reads and writes. */
  consistency: string;
  /** Consistency of the lightweight transactions that commit versions. */
  serialConsistency: string;
}

const keyspacePattern = /^[a-z][a-z0-9_]{0,47}$/;
const consistencies = ['ONE', 'TWO', 'THREE', 'QUORUM', 'ALL', 'LOCAL_QUORUM', 'EACH_QUORUM', 'LOCAL_ONE'];

/** `cassandra://host[:port][,host[:port]...]/keyspace[?dc=...&rf=N&consistency=...&serial=SERIAL|LOCAL_SERIAL]` */
export function parseCassandraUrl(url: string): CassandraLocation {
  const m = /^cassandra:\/\/([^/?#]+)\/([^/?#]+)(?:\?([^#]*))?$/i.exec(url);
  const bad = (why: string): never => { throw new StrataError('STRATA_ERR_STORE_URL', `bad Cassandra store URL ${JSON.stringify(url)}: ${why} (cassandra://host[:port][,host...]/keyspace[?dc=...&rf=N&consistency=...])`); };
  if (!m) bad('expected hosts and a keyspace');
  const [, hosts, keyspace, query] = m!;
  if (!keyspacePattern.test(keyspace!)) bad(`keyspace ${JSON.stringify(keyspace)} must match [a-z][a-z0-9_]{0,47}`);
  const contactPoints = hosts!.split(',').map((h) => h.trim()).filter((h) => h !== '').map((h) => (/:\d+$/.test(h) || h.startsWith('[') ? h : `${h}:9042`));
  if (contactPoints.length === 0) bad('no host');
  const params = new URLSearchParams(query ?? '');
  for (const k of params.keys()) if (!['dc', 'rf', 'consistency', 'serial'].includes(k)) bad(`unknown parameter ${k}`);
  const rf = Number(params.get('rf') ?? '1');
  if (!Number.isSafeInteger(rf) || rf < 1) bad('rf must be a positive integer');
  const consistency = (params.get('consistency') ?? 'LOCAL_QUORUM').toUpperCase();
  if (!consistencies.includes(consistency)) bad(`consistency must be one of ${consistencies.join(', ')}`);
  const serialConsistency = (params.get('serial') ?? 'SERIAL').toUpperCase();
  if (!['SERIAL', 'LOCAL_SERIAL'].includes(serialConsistency)) bad('serial must be SERIAL or LOCAL_SERIAL');
  return { contactPoints, keyspace: keyspace!, localDataCenter: params.get('dc') ?? 'datacenter1', replicationFactor: rf, consistency, serialConsistency };
}
