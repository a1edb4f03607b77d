// Whether two query answers are the same: same row count, and row by row the
// same values, doubles within a small relative tolerance (two engines may sum
// in different orders). Without an ORDER BY the rows are compared as
// multisets. Returns null when equal, else a description of the first
// difference, to be recorded beside the timings.
const relTol = 1e-9;

/** A value as a number: numbers as they are, numeric text (DuckDB gives BIGINT as text, Strata as a number) converted. */
const num = (v) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : undefined);

function sameValue(a, b) {
  if (a === b) return true;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = num(a);
    const y = num(b);
    if (x === undefined || y === undefined) return false;
    if (Number.isNaN(x) || Number.isNaN(y)) return typeof a === typeof b && Number.isNaN(x) && Number.isNaN(y);
    return Math.abs(x - y) <= relTol * Math.max(Math.abs(x), Math.abs(y), 1e-300);
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Sort key of a row; a number and its text sort alike. */
const sortKey = (row) => JSON.stringify(row.map((v) => {
  const n = num(v);
  return n !== undefined && Number.isFinite(n) ? n.toPrecision(12) : v;
}));

export function compareRows(got, want, { ordered }) {
  if (got.length !== want.length) return `${got.length} rows, expected ${want.length}`;
  const order = (rows) => (ordered ? rows : rows.map((r) => [sortKey(r), r]).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((x) => x[1]));
  const a = order(got);
  const b = order(want);
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return `row ${i}: ${a[i].length} columns, expected ${b[i].length}`;
    for (let c = 0; c < a[i].length; c++) {
      if (!sameValue(a[i][c], b[i][c])) return `row ${i}, column ${c}: ${JSON.stringify(a[i][c])}, expected ${JSON.stringify(b[i][c])}`;
    }
  }
  return null;
}
