"""The sentiment pickle reader, check.py and the sequence encoders work in a
Python without OpenMMLab (fresh interpreter, OpenMMLab imports refused)."""
import pickle

import numpy as np
from test_import_without_openmmlab import NO_OPENMMLAB_LOADED, REPO, run_python


def test_check_tool_and_temporal_conv_net_run_without_openmmlab(tmp_path):
    split = dict(
        text=np.zeros((2, 50, 768), np.float32),
        audio=np.full((2, 7, 5), -np.inf, np.float32),
        vision=np.zeros((2, 9, 20), np.float32),
        regression_labels=np.array([-1.0, 0.5]),
        id=np.array(['a', 'b']))
    path = tmp_path / 'aligned_50.pkl'
    with open(path, 'wb') as f:
        pickle.dump({s: split for s in ('train', 'valid', 'test')}, f)
    run = run_python(
        '''
        import runpy
        import sys

        import torch
        from clcr_plugin.models.encoders import TemporalConvNet

        outs = TemporalConvNet(5)(torch.randn(2, 7, 5))
        assert [tuple(o.shape) for o in outs] == [(2, 7, 64)] * 3
        sys.argv = [TOOL, sys.argv[1], '--text-key', 'text']
        try:
            runpy.run_path(TOOL, run_name='__main__')
        except SystemExit as exc:
            assert exc.code == 0, exc.code
    '''.replace('TOOL', repr(str(REPO / 'tools/data/mosi_mosei/check.py'))) +
        NO_OPENMMLAB_LOADED, str(path))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "non-finite set to 0 {'text': 0, 'audio': 70," in run.stdout
    assert 'looks like CMU-MOSI' in run.stdout
