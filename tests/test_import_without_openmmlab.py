"""The plain parts (the method, the audio features, the extractor) run in a
Python without OpenMMLab.

Each check runs in a fresh interpreter whose ``sys.meta_path`` refuses
``mmengine``, ``mmcv`` and ``mmaction`` (and their submodules), as if they
were not installed.
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from clcr_plugin.datasets.audio import AudioFeatureConfig, log_mel_spectrogram

REPO = Path(__file__).resolve().parents[1]
OPENMMLAB = ('mmengine', 'mmcv', 'mmaction')
BLOCKER = ('''
    import importlib.abc
    import sys

    BLOCKED = 'PACKAGES'


    class BlockOpenMMLab(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split('.')[0] in BLOCKED:
                raise ModuleNotFoundError(f'{name} is blocked by the test',
                                          name=name)
            return None


    sys.meta_path.insert(0, BlockOpenMMLab())
    try:
        __import__(BLOCKED[0])
        raise SystemExit(f'the blocker let {BLOCKED[0]} through')
    except ModuleNotFoundError:
        pass
''')
NO_OPENMMLAB_LOADED = '''
    loaded = sorted(m for m in sys.modules if m.split('.')[0] in BLOCKED)
    assert not loaded, loaded
'''


def run_python(code: str,
               *args: str,
               blocked: tuple = OPENMMLAB) -> subprocess.CompletedProcess:
    """``python -c code args...`` with the repo importable and the ``blocked``
    packages refused."""
    script = textwrap.dedent(
        BLOCKER.replace("'PACKAGES'", repr(blocked)) if blocked else ''
    ) + textwrap.dedent(code)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, '-c', script, *args],
                          capture_output=True,
                          text=True,
                          env=env,
                          timeout=300)


def test_clcr_trains_a_step_without_openmmlab():
    run = (
        run_python('''
        import torch
        import clcr_plugin
        from clcr_plugin.models.clcr import CLCR

        assert clcr_plugin.OPENMMLAB_AVAILABLE is False
        torch.manual_seed(0)
        model = CLCR(
            {'rgb': dict(in_channels=[4, 6], grids=[(2, 2), (1, 1)]),
             'audio': dict(in_channels=[3, 5], grids=[(2, 2), (1, 2)])},
            embed_dim=16, shared_dim=8, private_dim=6, num_heads=2,
            hidden_dim=12).train()
        feats = {'rgb': [torch.randn(3, 4, 4, 4), torch.randn(3, 6, 2, 2)],
                 'audio': [torch.randn(3, 3, 4, 4), torch.randn(3, 5, 2, 4)]}
        out = model(feats)
        loss = out.fused.pow(2).mean() + sum(out.losses.values())
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert out.fused.shape == (3, model.out_dim) == (3, 2 * (8 + 6)), (
            out.fused.shape)
        assert torch.isfinite(out.fused).all() and torch.isfinite(loss)
        assert grads and all(torch.isfinite(g).all() for g in grads)
        assert any(g.abs().sum() > 0 for g in grads)
        print('trained one step')
    ''' + NO_OPENMMLAB_LOADED))
    assert run.returncode == 0, run.stderr[-3000:]
    assert 'trained one step' in run.stdout


def test_log_mel_without_openmmlab_equals_the_one_computed_here(tmp_path):
    wave = np.random.RandomState(0).randn(12345).astype(np.float32)
    np.save(tmp_path / 'wave.npy', wave)
    run = (
        run_python(
            '''
        import numpy as np
        from clcr_plugin.datasets.audio import (AudioFeatureConfig,
                                                log_mel_spectrogram)

        wave = np.load(sys.argv[1])
        cfg = AudioFeatureConfig(n_mels=40, hop_length=128)
        np.save(sys.argv[2], log_mel_spectrogram(wave, cfg))
    ''' + NO_OPENMMLAB_LOADED, str(tmp_path / 'wave.npy'),
            str(tmp_path / 'logmel.npy')))
    assert run.returncode == 0, run.stderr[-3000:]
    expected = log_mel_spectrogram(
        wave, AudioFeatureConfig(n_mels=40, hop_length=128))
    np.testing.assert_array_equal(np.load(tmp_path / 'logmel.npy'), expected)


def test_extractor_runs_without_openmmlab(media_files, tmp_path):
    dst = tmp_path / 'dst'
    run = (
        run_python(
            '''
        import runpy
        sys.argv = [sys.argv[1], '--src', sys.argv[2], '--dst', sys.argv[3],
                    '--ext', 'wav', '--n-mels', '40']
        try:
            runpy.run_path(sys.argv[0], run_name='__main__')
        except SystemExit as exit:
            assert exit.code == 0, exit.code
    ''' + NO_OPENMMLAB_LOADED,
            str(REPO / 'tools' / 'data' / 'extract_audio_features.py'),
            str(media_files['root']), str(dst)))
    assert run.returncode == 0, run.stderr[-3000:]
    assert np.load(dst / 'tone.wav.npy').shape == (40, 201)
    assert (dst / 'audio_feature_config.json').is_file()


def test_importing_the_plugin_with_openmmlab_registers_and_patches():
    run = (
        run_python(
            '''
        import sys
        import clcr_plugin
        from mmaction.registry import METRICS, MODELS, TRANSFORMS

        assert clcr_plugin.OPENMMLAB_AVAILABLE is True
        from clcr_plugin.models import CLCRFusion
        assert MODELS.get('CLCRFusion') is CLCRFusion
        assert TRANSFORMS.get('LoadAudioLogMel') is not None
        assert METRICS.get('MacroF1Metric') is not None
        assert clcr_plugin.compat.APPLIED['missing_drn'] is True
        assert getattr(sys.modules['mmaction.models.localizers.drn'],
                       '__clcr_stub__', False)
        print('registered and patched')
    ''',
            blocked=()))
    assert run.returncode == 0, run.stderr[-3000:]
    assert 'registered and patched' in run.stdout


def test_a_partial_openmmlab_registers_nothing_and_says_what_is_missing():
    run = run_python(
        '''
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            import clcr_plugin
        assert clcr_plugin.OPENMMLAB_AVAILABLE is False
        print(*[str(w.message) for w in caught])
    ''',
        blocked=('mmaction', ))
    assert run.returncode == 0, run.stderr[-3000:]
    assert ('clcr_plugin: mmengine, mmcv installed but not mmaction; the '
            'plug-in registers nothing') in run.stdout


def test_a_broken_registering_module_raises_instead_of_being_skipped(tmp_path):
    """A real import error while registering surfaces (only absent packages
    turn registration off)."""
    fake = tmp_path / 'mmaction'
    fake.mkdir()
    (fake /
     '__init__.py').write_text('raise ImportError("mmaction is broken")\n')
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path),
                                                str(REPO)]))
    run = subprocess.run([sys.executable, '-c', 'import clcr_plugin'],
                         capture_output=True,
                         text=True,
                         env=env,
                         timeout=300)
    assert (run.returncode != 0
            and 'ImportError: mmaction is broken' in run.stderr)
