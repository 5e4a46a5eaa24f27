"""Where metric samples come from: Prometheus, CloudWatch or Datadog, chosen by the config."""
