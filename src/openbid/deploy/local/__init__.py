"""The local platform: the deploy verbs on one machine, with processes behind HAProxy.

Stable bidder "tasks" are ``openbid serve`` processes behind an HAProxy frontend whose weights
and servers openbid drives through HAProxy's runtime API; a canary is one more process; a
Prometheus server scrapes every task with its version label. Everything lives in a state
directory, so separate CLI invocations see the same deployment.
"""
