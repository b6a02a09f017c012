"""Each workaround in clcr_plugin.compat: the failure it prevents, and the fix."""
import os
import socket
import subprocess
import sys
import textwrap

import pytest
import torch

import clcr_plugin
from clcr_plugin import compat


def run_python(code: str, env_extra: dict = None, timeout: int = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_patches_are_recorded_and_idempotent():
    before = dict(compat.APPLIED)
    assert set(before) == set(compat.PATCHES)
    assert compat.apply_all() == before  # a second application changes nothing
    assert clcr_plugin.compat.APPLIED['missing_drn']  # the pinned wheel has the gap


def test_mmaction_models_import_fails_without_the_drn_shim_and_works_with_it():
    bare = run_python('import mmaction.models')
    assert bare.returncode != 0 and "No module named 'mmaction.models.localizers.drn'" in bare.stderr
    fixed = run_python('import clcr_plugin, mmaction.models; print("ok")')
    assert fixed.returncode == 0 and 'ok' in fixed.stdout, fixed.stderr


def test_drn_stub_explains_itself():
    from mmaction.models.localizers.drn.drn import DRN
    with pytest.raises(ImportError, match='missing from the mmaction2 1.2.0 wheel'):
        DRN()


def fake_transformers(tmp_path):
    pkg = tmp_path / 'transformers'
    pkg.mkdir()
    (pkg / '__init__.py').write_text('__version__ = "5.0.0"\n')
    (pkg / 'modeling_utils.py').write_text('')  # lacks what VindLU imports
    info = tmp_path / 'transformers-5.0.0.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: transformers\nVersion: 5.0.0\n')
    return {'PYTHONPATH': str(tmp_path)}


def test_transformers_5_breaks_mmaction_models_unless_multimodal_is_switched_off(tmp_path):
    env = fake_transformers(tmp_path)
    shim_only = run_python(f'''
        import importlib.util
        spec = importlib.util.spec_from_file_location('compat_alone', {compat.__file__!r})
        compat_alone = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(compat_alone)  # without clcr_plugin/__init__, which applies every patch
        compat_alone.patch_missing_drn()
        import mmaction.models
    ''', env)
    assert shim_only.returncode != 0 and 'transformers' in shim_only.stderr  # VindLU's imports fail
    fixed = run_python('''
        import clcr_plugin, mmaction.models
        from clcr_plugin import compat
        from mmaction.utils import dependency
        print(compat.APPLIED['multimodal_with_new_transformers'], dependency.WITH_MULTIMODAL)
    ''', env)
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.split() == ['True', 'False']


CHECKPOINT_ROUNDTRIP = '''
    import sys, torch
    from torch import nn
    from mmengine.model import BaseModel
    from mmengine.runner import Runner
    if sys.argv[1] == 'patched':
        import clcr_plugin

    class Toy(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = self.fc(torch.stack(inputs))
            return {'loss': out.pow(2).mean()} if mode == 'loss' else out

    def runner(work_dir, **kw):
        return Runner(model=Toy(), work_dir=work_dir, train_dataloader=dict(
            dataset=[dict(inputs=torch.randn(2)) for _ in range(4)], sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2, collate_fn=dict(type='pseudo_collate')),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            train_cfg=dict(by_epoch=True, max_epochs=1), default_hooks=dict(logger=None), **kw)

    runner(sys.argv[2]).train()
    resumed = runner(sys.argv[2], resume=True, load_from=sys.argv[2] + '/epoch_1.pth')
    resumed._train_loop = resumed.build_train_loop(resumed._train_loop)
    resumed.load_or_resume()
    print('resumed at epoch', resumed.train_loop.epoch)
'''


def test_resuming_an_mmengine_checkpoint_needs_the_safe_globals(tmp_path):
    code = 'import sys\nsys.argv = sys.argv[:1] + sys.argv[1:]\n' + textwrap.dedent(CHECKPOINT_ROUNDTRIP)
    script = tmp_path / 'roundtrip.py'
    script.write_text(code)
    bare = subprocess.run([sys.executable, str(script), 'bare', str(tmp_path / 'a')], capture_output=True,
                          text=True, timeout=120)
    assert bare.returncode != 0 and 'Weights only load failed' in bare.stderr
    fixed = subprocess.run([sys.executable, str(script), 'patched', str(tmp_path / 'b')], capture_output=True,
                           text=True, timeout=120)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert 'resumed at epoch 1' in fixed.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


DIST_CODE = '''
    import sys, torch
    from torch import nn
    if sys.argv[-1] == 'patched':
        import clcr_plugin
    from mmengine.dist import init_dist
    from mmengine.model import BaseModel, MMDistributedDataParallel
    init_dist('pytorch', backend='gloo')

    class Toy(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return {'loss': self.fc(inputs).pow(2).mean()}

    ddp = MMDistributedDataParallel(module=Toy(), device_ids=[0])
    from mmengine.optim import OptimWrapper
    log = ddp.train_step(dict(inputs=torch.randn(4, 2)), OptimWrapper(torch.optim.SGD(ddp.parameters(), lr=0.1)))
    print('loss', float(log['loss']))
    if sys.argv[-1] == 'patched':
        from clcr_plugin.compat import shutdown_distributed
        shutdown_distributed()
        print('group alive after shutdown:', torch.distributed.is_initialized())
'''


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU-only failure needs a machine without CUDA')
def test_cpu_gloo_init_and_ddp_need_the_distributed_patch(tmp_path):
    script = tmp_path / 'dist.py'
    script.write_text(textwrap.dedent(DIST_CODE))
    def env():
        return dict(os.environ, RANK='0', LOCAL_RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
                    MASTER_PORT=str(free_port()))
    bare = subprocess.run([sys.executable, str(script), 'bare'], capture_output=True, text=True, env=env(),
                          timeout=120)
    assert bare.returncode != 0
    fixed = subprocess.run([sys.executable, str(script), 'patched'], capture_output=True, text=True, env=env(),
                           timeout=120)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert 'loss' in fixed.stdout and 'group alive after shutdown: False' in fixed.stdout


def test_shutdown_without_a_group_is_a_no_op():
    compat.shutdown_distributed()
    assert not torch.distributed.is_initialized()


def test_pinned_imports_that_need_no_code_patch():
    import importlib_metadata  # noqa: F401  (mmaction2 imports it without declaring it)
    import pkg_resources  # noqa: F401  (mmengine imports it; setuptools < 81 keeps it)
    import mmengine.utils  # noqa: F401
    import mmaction.utils.dependency  # noqa: F401


def test_numpy_pin_keeps_the_mmaction_metrics_we_use_working():
    import numpy as np
    from mmaction.evaluation.functional import mean_class_accuracy, top_k_accuracy
    assert hasattr(np, 'Inf') and hasattr(np, 'trapz') and hasattr(np, 'in1d')  # removed in numpy 2
    scores = [np.array([0.1, 0.7, 0.2]), np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.3, 0.5])]
    labels = [1, 1, 2]
    top1, top2 = top_k_accuracy(scores, labels, (1, 2))
    assert top1 == pytest.approx(2 / 3) and top2 == pytest.approx(1.0)
    # mmaction averages over every class seen in labels or predictions (class 0 here: 0.0)
    assert mean_class_accuracy(scores, labels) == pytest.approx((0.0 + 0.5 + 1.0) / 3)
