"""The admin API: status, line items and why they do not bid, live capture, log level, drain."""
