"""Automated canary analysis: the canary's metrics against the baseline's, judged and scored.

``config`` reads the analysis file (which metrics, which judge, which provider); ``providers``
fetch each metric's samples for the canary and the baseline over one window; ``mann_whitney`` and
``threshold`` classify each metric; ``score`` turns the classifications into a 0-100 score and a
verdict; ``judgement`` runs one analysis; ``auto`` repeats it and promotes or rolls back.
"""
