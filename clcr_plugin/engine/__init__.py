from .hooks import GradNormHook  # noqa: F401  (registers the hooks in mmaction's HOOKS)
