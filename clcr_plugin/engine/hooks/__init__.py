from .grad_norm_hook import GradNormHook  # noqa: F401
