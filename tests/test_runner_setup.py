from mmengine.config import Config

from clcr_plugin import runner_setup
from clcr_plugin.runner_setup import apply_launch_options


def test_distributed_launch_without_an_accelerator_uses_gloo(monkeypatch):
    monkeypatch.setattr(runner_setup, 'no_accelerator', lambda: True)
    cfg = apply_launch_options(
        Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl')))), 'a/b.py',
        'pytorch', None)
    assert cfg.launcher == 'pytorch' and cfg.env_cfg.dist_cfg.backend == 'gloo'
    single = apply_launch_options(
        Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl')))), 'a/b.py',
        'none', None)
    assert (single.launcher == 'none'
            and single.env_cfg.dist_cfg.backend == 'nccl')


def test_distributed_launch_with_an_accelerator_keeps_the_config_backend(
        monkeypatch):
    monkeypatch.setattr(runner_setup, 'no_accelerator', lambda: False)
    cfg = apply_launch_options(
        Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl')))), 'a/b.py',
        'pytorch', None)
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'


def test_work_dir_comes_from_the_option_then_the_config_then_the_config_name():
    assert apply_launch_options(
        Config(dict(work_dir='cfg_dir')), 'a/b.py', 'none',
        'cli_dir').work_dir == 'cli_dir'
    assert apply_launch_options(
        Config(dict(work_dir='cfg_dir')), 'a/b.py', 'none',
        None).work_dir == 'cfg_dir'
    assert apply_launch_options(
        Config(dict()), 'configs/x/my_cfg.py', 'none',
        None).work_dir == './work_dirs/my_cfg'


def test_plugin_is_imported_unless_the_config_says_otherwise():
    cfg = apply_launch_options(Config(dict()), 'a/b.py', 'none', None)
    assert cfg.custom_imports == dict(
        imports=['clcr_plugin'], allow_failed_imports=False)
    own = dict(imports=['clcr_plugin', 'my_pkg'], allow_failed_imports=False)
    assert apply_launch_options(
        Config(dict(custom_imports=own)), 'a/b.py', 'none',
        None).custom_imports == own
