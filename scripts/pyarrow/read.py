"""Reads Arrow IPC streams with pyarrow and prints each one's columns as JSON.

Usage: read.py FILE... -> {"FILE": {"fields": [[name, type], ...], "columns": {name: [values]}}}
Timestamps are printed as integers in their unit since the epoch, 64-bit
integers as decimal text (JSON readers may hold numbers as doubles), and
everything else as pyarrow's Python value (dictionary-encoded strings decoded).
"""
import json
import sys

import pyarrow as pa
import pyarrow.ipc as ipc


def plain(column):
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_timestamp(column.type):
        return column.cast(pa.int64()).to_pylist(), str(column.type)
    if pa.types.is_int64(column.type) or pa.types.is_uint64(column.type):
        return [None if v is None else str(v) for v in column.to_pylist()], str(column.type)
    return column.to_pylist(), str(column.type)


out = {}
for name in sys.argv[1:]:
    with open(name, "rb") as f:
        table = ipc.open_stream(f).read_all()
    fields = []
    columns = {}
    for field, column in zip(table.schema, table.columns):
        values, type_name = plain(column.combine_chunks())
        fields.append([field.name, type_name])
        columns[field.name] = values
    out[name] = {"fields": fields, "columns": columns}
json.dump(out, sys.stdout, allow_nan=True)
