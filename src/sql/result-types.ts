/** The shapes of an answer: its columns, and values in DuckDB's JSON forms. */
export interface ResultColumn { name: string; type: string }
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
