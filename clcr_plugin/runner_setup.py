"""Config settings that tools/train.py and tools/test.py share."""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config


def apply_launch_options(cfg: Config, config_path: str, launcher: str, work_dir: Optional[str]) -> Config:
    """Set the launcher (gloo for processes without CUDA), the work dir
    (``--work-dir``, else the config's, else ``work_dirs/<config name>``) and
    make sure the plug-in is imported by the Runner."""
    cfg.launcher = launcher
    if launcher != 'none' and not torch.cuda.is_available():
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'  # CPU-only processes
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    cfg.setdefault('custom_imports', dict(imports=['clcr_plugin'], allow_failed_imports=False))
    return cfg
