"""Telemetry: metrics aggregated in process, exported to Prometheus and DogStatsD; tags; logs."""
