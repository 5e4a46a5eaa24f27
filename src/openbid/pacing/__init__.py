"""Budgets, pacing and frequency caps: what keeps spend where the advertiser wants it."""
