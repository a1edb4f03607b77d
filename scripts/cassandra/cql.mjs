// A tiny CQL client (native protocol v4 over net.Socket) so the node scripts can
// check that Cassandra really answers queries without depending on a driver.
// It runs statements one after another on one connection, with no paging,
// no prepared statements and no authentication.
import net from 'node:net';
import { once } from 'node:events';

const OP = { ERROR: 0x00, STARTUP: 0x01, READY: 0x02, QUERY: 0x07, RESULT: 0x08 };
const CONSISTENCY_ONE = 0x0001;

const shortString = (s) => {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
};

function stringMap(map) {
  const count = Buffer.alloc(2);
  count.writeUInt16BE(Object.keys(map).length);
  return Buffer.concat([count, ...Object.entries(map).flatMap(([k, v]) => [shortString(k), shortString(v)])]);
}

function queryBody(cql) {
  const text = Buffer.from(cql, 'utf8');
  const head = Buffer.alloc(4);
  head.writeInt32BE(text.length);
  const tail = Buffer.alloc(3);
  tail.writeUInt16BE(CONSISTENCY_ONE);
  tail.writeUInt8(0, 2); // no query flags: no values, default page size
  return Buffer.concat([head, text, tail]);
}

// Sequential reader over a response body.
class Reader {
  constructor(buf) { this.buf = buf; this.pos = 0; }
  int() { const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
  short() { const v = this.buf.readUInt16BE(this.pos); this.pos += 2; return v; }
  string() { const n = this.short(); const s = this.buf.toString('utf8', this.pos, this.pos + n); this.pos += n; return s; }
  bytes() { const n = this.int(); if (n < 0) return null; const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b; }
  // [option]: a type id plus, for custom and collection types, its parameters.
  type() {
    const id = this.short();
    if (id === 0x0000) this.string();
    else if (id === 0x0020 || id === 0x0022) this.type();
    else if (id === 0x0021) { this.type(); this.type(); }
    else if (id === 0x0030) { this.string(); this.string(); for (let n = this.short(); n > 0; n--) { this.string(); this.type(); } }
    else if (id === 0x0031) for (let n = this.short(); n > 0; n--) this.type();
    return id;
  }
}

// Text, boolean, int and bigint are decoded; any other type comes back as a Buffer.
function decode(type, b) {
  if (b === null) return null;
  if (type === 0x0001 || type === 0x000d) return b.toString('utf8');
  if (type === 0x0004) return b[0] !== 0;
  if (type === 0x0009) return b.readInt32BE(0);
  if (type === 0x0002) return b.readBigInt64BE(0);
  return b;
}

// RESULT body: rows become objects keyed by column name; other kinds give [].
function parseResult(body) {
  const r = new Reader(body);
  if (r.int() !== 0x0002) return [];
  const flags = r.int();
  const count = r.int();
  if (flags & 0x0002) r.bytes(); // paging state
  if (flags & 0x0001) { r.string(); r.string(); } // global keyspace and table
  const columns = [];
  for (let i = 0; i < count && !(flags & 0x0004); i++) {
    if (!(flags & 0x0001)) { r.string(); r.string(); }
    columns.push({ name: r.string(), type: r.type() });
  }
  const rows = [];
  for (let n = r.int(); n > 0; n--) {
    rows.push(Object.fromEntries(columns.map((c) => [c.name, decode(c.type, r.bytes())])));
  }
  return rows;
}

/** Runs the statements in order on one connection; resolves to one row array per statement. */
export async function cql(host, port, statements, { timeoutMs = 10_000 } = {}) {
  const socket = net.connect({ host, port });
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no CQL answer within ${timeoutMs} ms`)));
  let pending = Buffer.alloc(0);
  let waiter = null;
  let failure = null;
  const pump = () => {
    if (!waiter) return;
    if (pending.length >= 9 && pending.length >= 9 + pending.readInt32BE(5)) {
      const end = 9 + pending.readInt32BE(5);
      const frame = { opcode: pending[4], body: pending.subarray(9, end) };
      pending = pending.subarray(end);
      const { resolve } = waiter;
      waiter = null;
      resolve(frame);
    } else if (failure) {
      const { reject } = waiter;
      waiter = null;
      reject(failure);
    }
  };
  socket.on('data', (chunk) => { pending = Buffer.concat([pending, chunk]); pump(); });
  socket.on('error', (err) => { failure = err; pump(); });
  socket.on('close', () => { failure ??= new Error('connection closed'); pump(); });

  const request = async (opcode, body) => {
    const header = Buffer.from([0x04, 0, 0, 0, opcode, 0, 0, 0, 0]);
    header.writeInt32BE(body.length, 5);
    socket.write(Buffer.concat([header, body]));
    const frame = await new Promise((resolve, reject) => { waiter = { resolve, reject }; pump(); });
    if (frame.opcode === OP.ERROR) {
      const r = new Reader(frame.body);
      const code = r.int();
      throw new Error(`CQL error 0x${code.toString(16)}: ${r.string()}`);
    }
    return frame;
  };

  try {
    await once(socket, 'connect');
    const ready = await request(OP.STARTUP, stringMap({ CQL_VERSION: '3.0.0' }));
    if (ready.opcode !== OP.READY) throw new Error(`unexpected reply to STARTUP (opcode ${ready.opcode})`);
    const results = [];
    for (const statement of statements) {
      results.push(parseResult((await request(OP.QUERY, queryBody(statement))).body));
    }
    return results;
  } finally {
    socket.destroy();
  }
}

/** The node's release_version, or null if nothing answers CQL at host:port. */
export async function releaseVersion(host, port, options) {
  try {
    const [rows] = await cql(host, port, ['SELECT release_version FROM system.local'], options);
    return rows[0]?.release_version ?? null;
  } catch {
    return null;
  }
}
