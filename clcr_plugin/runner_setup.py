"""Config settings that tools/train.py and tools/test.py share."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from .compat import no_accelerator


def apply_launch_options(cfg: Config, config_path: str, launcher: str,
                         work_dir: Optional[str]) -> Config:
    """Set the launcher, the work dir and the plug-in import on ``cfg`` (in
    place).

    This is where gloo is chosen: a distributed launch on a machine without
    an accelerator (:func:`clcr_plugin.compat.no_accelerator`, the test the
    CPU patches in :mod:`clcr_plugin.compat` use) gets
    ``env_cfg.dist_cfg.backend='gloo'``.

    Args:
        cfg: the loaded config.
        config_path: its file; names the default work dir.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        work_dir: ``--work-dir``; None keeps the config's, else
            ``work_dirs/<config name>``.

    Returns:
        ``cfg``, with ``custom_imports`` importing ``clcr_plugin`` unless the
        config sets its own.
    """
    cfg.launcher = launcher
    if launcher != 'none' and no_accelerator():
        cfg.setdefault('env_cfg', {}).setdefault(
            'dist_cfg', {})['backend'] = 'gloo'  # CPU-only processes
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])
    cfg.setdefault('custom_imports',
                   dict(imports=['clcr_plugin'], allow_failed_imports=False))
    return cfg
