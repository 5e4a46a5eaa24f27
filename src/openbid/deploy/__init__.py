"""Ship openbid to ECS/Fargate: task definitions, the deploy verbs, and the platforms they drive.

Each verb lives in its own module (``render``, ``diff``, ``canary``, ``promote``, ``rollback``,
``abort``, ``status``, ``exec``) and talks to a ``Platform``; ``ecs`` is the AWS one. This package
never imports the bidder: it ships it, it does not run it.
"""
