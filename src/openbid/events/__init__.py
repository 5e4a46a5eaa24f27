"""The event log: a versioned event schema, a bounded queue off the hot path, a batching
writer and its sinks (local files, S3, stdout), and the queries behind ``openbid report``.
"""
