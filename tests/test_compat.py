"""Each workaround in clcr_plugin.compat: the failure it prevents, and the fix.

A subprocess without ``import clcr_plugin`` shows the failure, one with it the
fix; the two run side by side to keep the file fast.
"""
import os
import pickle
import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from clcr_plugin import compat

REPO = Path(__file__).resolve().parents[1]


def start(code: str,
          *args: str,
          env: dict = None,
          pythonpath: tuple = ()) -> subprocess.Popen:
    """Start ``python -c code args...`` with the repo (and ``pythonpath``)
    importable."""
    env = dict(os.environ if env is None else env)
    env['PYTHONPATH'] = os.pathsep.join([*map(str, pythonpath), str(REPO)])
    return subprocess.Popen(
        [sys.executable, '-c',
         textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env)


def finish(proc: subprocess.Popen,
           timeout: int = 120) -> subprocess.CompletedProcess:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_bare_and_patched(code: str, *args: str, **kwargs) -> tuple:
    """Run ``code`` with argv[1] 'bare' and 'patched' at the same time; returns
    both results."""
    procs = [
        start(code, mode, *args, **kwargs) for mode in ('bare', 'patched')
    ]
    return tuple(finish(p) for p in procs)


def test_apply_all_records_each_patch_and_is_idempotent():
    from mmengine.dist import utils as dist_utils
    from mmengine.model import MMDistributedDataParallel

    no_cuda = not torch.cuda.is_available()
    transformers = compat._installed_version('transformers')
    assert compat.APPLIED == {
        'missing_drn':
        True,  # the pinned wheel has the gap
        # needed with transformers >= 5 (installed for the MOSI/MOSEI tests)
        'multimodal_with_new_transformers':
        transformers is not None and transformers >= (5, ),
        'checkpoint_safe_globals':
        True,
        'cpu_init_dist':
        no_cuda,
        'cpu_ddp':
        no_cuda,
        'atomic_checkpoint_save':
        True
    }

    def state() -> tuple:
        return (sys.modules['mmaction.models.localizers.drn'],
                len(torch.serialization.get_safe_globals()),
                dist_utils._init_dist_pytorch,
                MMDistributedDataParallel.__init__)

    before, applied = state(), dict(compat.APPLIED)
    compat.apply_all()
    assert state() == before and compat.APPLIED == applied


def test_mmaction_models_imports_only_with_the_drn_stub():
    bare, patched = run_bare_and_patched('''
        import sys
        if sys.argv[1] == 'patched':
            import clcr_plugin
        import mmaction.models
        print('ok')
    ''')
    assert bare.returncode != 0 and (
        "No module named "
        "'mmaction.models.localizers.drn'") in bare.stderr
    assert patched.returncode == 0 and 'ok' in patched.stdout, patched.stderr[
        -3000:]


def test_drn_stub_raises_a_clear_error_and_is_not_registered():
    from mmaction.models.localizers.drn.drn import DRN
    from mmaction.registry import MODELS

    with pytest.raises(
            ImportError, match='missing from the mmaction2 1.2.0 wheel'):
        DRN()
    assert MODELS.get('DRN') is None


def test_transformers_5_breaks_mmaction_unless_multimodal_is_switched_off(
        tmp_path):
    (tmp_path / 'transformers').mkdir()
    # lacks everything VindLU imports
    (tmp_path / 'transformers' / '__init__.py').write_text('')
    (tmp_path / 'transformers-5.0.0.dist-info').mkdir()
    (tmp_path / 'transformers-5.0.0.dist-info' / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: transformers\nVersion: 5.0.0\n')
    bare, patched = (
        run_bare_and_patched(
            f'''
        import importlib.util, sys
        if sys.argv[1] == 'patched':
            import clcr_plugin
        else:
            # only the DRN stub, loaded without clcr_plugin/__init__ (which
            # applies every patch)
            spec = importlib.util.spec_from_file_location(
                'compat_alone', {compat.__file__!r})
            compat_alone = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(compat_alone)
            compat_alone.patch_missing_drn()
        import mmaction.models
        from mmaction.registry import MODELS
        try:
            MODELS.build(dict(type='VindLURetrieval'))
        except ImportError as error:
            print('placeholder:', error)
    ''',
            pythonpath=(tmp_path, )))
    assert (bare.returncode != 0
            and "No module named 'transformers." in bare.stderr)
    assert patched.returncode == 0, patched.stderr[-3000:]
    assert ('placeholder: VindLURetrieval requires extra multi-modal '
            'dependencies') in patched.stdout


CHECKPOINT_ROUNDTRIP = ('''
    import sys, torch
    from torch import nn
    from mmengine.model import BaseModel
    from mmengine.runner import Runner, load_checkpoint
    if sys.argv[1] == 'patched':
        import clcr_plugin
    work_dir = sys.argv[2]

    class Toy(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = self.fc(torch.stack(inputs))
            return {'loss': out.pow(2).mean()} if mode == 'loss' else out

    def runner(**kwargs):
        return Runner(model=Toy(), work_dir=work_dir, train_dataloader=dict(
            dataset=[dict(inputs=torch.randn(2)) for _ in range(4)],
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2, collate_fn=dict(type='pseudo_collate')),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            train_cfg=dict(by_epoch=True, max_epochs=1),
            default_hooks=dict(logger=None), **kwargs)

    def resume():
        resumed = runner(resume=True, load_from=work_dir + '/epoch_1.pth')
        # built on first access; resuming restores its epoch
        resumed.train_loop
        resumed.load_or_resume()
        return resumed.train_loop.epoch

    runner().train()
    try:
        load_checkpoint(Toy(), work_dir + '/epoch_1.pth')
        print('load_checkpoint ok')
    except Exception as error:
        print('load_checkpoint failed',
              'Weights only load failed' in str(error))
    try:
        print('resume ok at epoch', resume())
    except Exception as error:
        print('resume failed', 'Weights only load failed' in str(error))
''')


def test_load_checkpoint_and_resume_need_the_safe_globals(tmp_path):
    procs = [
        start(CHECKPOINT_ROUNDTRIP, mode, str(tmp_path / mode))
        for mode in ('bare', 'patched')
    ]
    bare, patched = (finish(p) for p in procs)
    assert bare.returncode == 0 and patched.returncode == 0, (
        bare.stderr + patched.stderr)[-3000:]
    assert ('load_checkpoint failed True' in bare.stdout
            and 'resume failed True' in bare.stdout)
    assert ('load_checkpoint ok' in patched.stdout
            and 'resume ok at epoch 1' in patched.stdout)


class _GetattrOnHistoryBuffer:
    """Pickles as ``getattr(HistoryBuffer, name)``, as a hostile checkpoint
    could."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self) -> tuple:
        from mmengine.logging.history_buffer import HistoryBuffer

        return getattr, (HistoryBuffer, self.name)


def test_safe_loader_resolves_only_history_buffer_statistics_through_getattr(
        tmp_path):
    from mmengine.logging.history_buffer import HistoryBuffer

    path = tmp_path / 'ckpt.pth'
    torch.save({'ok': _GetattrOnHistoryBuffer('mean')}, path)
    assert torch.load(path)['ok'] is HistoryBuffer.mean
    torch.save({'bad': _GetattrOnHistoryBuffer('update')}, path)
    with pytest.raises(
            pickle.UnpicklingError,
            match='only HistoryBuffer statistics methods'):
        torch.load(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_env() -> dict:
    """One-process ``--launcher pytorch`` environment on a free port."""
    return dict(
        os.environ,
        RANK='0',
        LOCAL_RANK='0',
        WORLD_SIZE='1',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(free_port()))


DIST_SCRIPT = ('''
    import sys, torch
    from torch import nn
    if sys.argv[1] != 'bare':  # 'patched' and 'held'
        import clcr_plugin
    from mmengine.dist import init_dist
    from mmengine.model import BaseModel, MMDistributedDataParallel
    from mmengine.optim import OptimWrapper

    class Toy(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return {'loss': self.fc(inputs).pow(2).mean()}

    try:
        init_dist('pytorch', backend='gloo')
        print('init_dist ok')
    except Exception as error:
        print('init_dist failed', type(error).__name__)
        torch.distributed.init_process_group('gloo', rank=0, world_size=1)
    try:
        # what the Runner builds
        ddp = MMDistributedDataParallel(module=Toy(), device_ids=[0])
        optim = OptimWrapper(torch.optim.SGD(ddp.parameters(), lr=0.1))
        log = ddp.train_step(dict(inputs=torch.randn(4, 2)), optim)
        print('train_step ok', float(log['loss']) >= 0)
    except ValueError as error:
        print('ddp failed', 'device_ids' in str(error))
    if sys.argv[1] == 'bare':
        torch.distributed.destroy_process_group()
    else:
        import warnings
        from clcr_plugin.compat import (communication_threads,
                                        shutdown_distributed)
        print('threads while training', len(communication_threads()))
        if sys.argv[1] == 'patched':  # 'held' keeps its DDP wrapper alive
            del ddp, optim
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            shutdown_distributed()
        print('threads after shutdown', communication_threads())
        print('warned', [str(w.message) for w in caught])
    print('group alive at exit', torch.distributed.is_initialized())
''')


def run_dist_script(*modes: str) -> list:
    """:data:`DIST_SCRIPT` in each mode at the same time, each a one-process
    group on its own port; their results in order."""
    procs = [start(DIST_SCRIPT, mode, env=dist_env()) for mode in modes]
    return [finish(p) for p in procs]


@pytest.mark.skipif(
    torch.cuda.is_available(),
    reason='the CPU-only failure needs a machine without CUDA')
def test_cpu_gloo_init_and_ddp_need_the_distributed_patches():
    bare, patched = run_dist_script('bare', 'patched')
    assert bare.returncode == 0 and patched.returncode == 0, (
        bare.stderr + patched.stderr)[-3000:]
    assert ('init_dist failed' in bare.stdout
            and 'ddp failed True' in bare.stdout)
    assert ('init_dist ok' in patched.stdout
            and 'train_step ok True' in patched.stdout)
    assert 'group alive at exit False' in patched.stdout


@pytest.mark.skipif(
    torch.cuda.is_available() or not os.path.isdir('/proc/self/task'),
    reason='gloo on the CPU; thread names from /proc (Linux)')
def test_shutdown_distributed_joins_gloo_threads_once_the_wrapper_is_released(
):
    """Released DDP wrapper: the group's threads end inside
    shutdown_distributed, no warning. Held wrapper: the threads outlive
    destroy_process_group and the warning names them."""
    patched, held = run_dist_script('patched', 'held')
    assert patched.returncode == 0 and held.returncode == 0, (
        patched.stderr + held.stderr)[-3000:]
    for result in (patched, held):
        running = re.search(r'threads while training (\d+)', result.stdout)
        assert int(running.group(1)) >= 1, result.stdout
        assert 'group alive at exit False' in result.stdout
    assert 'threads after shutdown []' in patched.stdout
    assert 'warned []' in patched.stdout
    lingering = re.search(r"threads after shutdown \[('\w+'.*)\]", held.stdout)
    assert lingering, held.stdout
    warned = held.stdout.split('warned')[1]
    assert 'still holds the process group' in warned
    assert lingering.group(1) in warned


def test_shutdown_distributed_without_a_group_is_a_no_op():
    compat.shutdown_distributed()
    assert not torch.distributed.is_initialized()


def test_pinned_packages_that_need_no_code_patch_still_serve_their_importers():
    from mmaction.utils.dependency import \
        satisfy_requirement  # imports importlib_metadata (undeclared)
    from mmengine.utils import (  # import pkg_resources (setuptools < 81)
        get_installed_path, is_installed)

    assert satisfy_requirement(
        'numpy>=1.20') and not satisfy_requirement('no-such-package-clcr')
    assert is_installed('mmengine')
    assert Path(get_installed_path(
        'mmaction2')).name == 'mmaction'  # how configs resolve 'mmaction::...'


def test_numpy_pin_keeps_mmaction_metrics_and_transforms_working():
    import warnings

    import numpy as np
    from mmaction.datasets.transforms import PoseCompact
    from mmaction.evaluation.functional import (
        average_recall_at_avg_proposals, mean_class_accuracy, top_k_accuracy)
    from mmaction.evaluation.metrics import RetrievalRecall

    # numpy 2 deprecates np.trapz / np.in1d before removing them
    with warnings.catch_warnings():
        warnings.filterwarnings(
            'error', category=DeprecationWarning, module='mmaction')
        scores = [
            np.array([0.1, 0.7, 0.2]),
            np.array([0.6, 0.3, 0.1]),
            np.array([0.2, 0.3, 0.5])
        ]
        labels = [1, 1, 2]
        top1, top2 = top_k_accuracy(scores, labels, (1, 2))
        assert top1 == pytest.approx(2 / 3) and top2 == pytest.approx(1.0)
        # averaged over every class seen in labels or predictions (class 0
        # here: 0.0)
        assert mean_class_accuracy(scores, labels) == pytest.approx(
            (0.0 + 0.5 + 1.0) / 3)

        # np.trapz: one video, one exact proposal, found only at 100% of the
        # proposals
        _, avg_recall, per_video, auc = average_recall_at_avg_proposals(
            {'v': np.array([[0.0, 10.0]])},
            {'v': np.array([[0.0, 10.0, 1.0]])},
            total_num_proposals=1,
            max_avg_proposals=1)
        assert avg_recall[-1] == 1.0 and not avg_recall[:-1].any()
        assert auc == pytest.approx(100 * 0.5 * 1.0 *
                                    (per_video[-1] - per_video[-2]) /
                                    per_video[-1])

        # np.in1d: the first sample's top-1 hits its target, the second's
        # misses
        recall = RetrievalRecall.calculate(
            np.array([[0.9, 0.1], [0.9, 0.1]]), [[0], [1]],
            topk=1,
            target_indices=True)
        assert float(recall[0]) == pytest.approx(50.0)

        # np.Inf: the tight box (10..40, 10..50) padded by 25% around its
        # centre
        keypoint = np.array([[[[10.0, 10.0], [40.0, 50.0]]]])  # (M, T, V, 2)
        out = PoseCompact(
            padding=0.25, threshold=10)(
                dict(keypoint=keypoint, img_shape=(64, 64)))
        assert out['img_shape'] == (55 - 5, 43 - 6)
