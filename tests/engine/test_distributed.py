"""tools/dist_train.sh CONFIG 2 on the CPU (gloo): the ranks end with the same
weights, and the logged losses and CLCR diagnostics are the means over ranks
of what each rank computed."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tiny_runs import CONFIGS, ROOT, tiny_options

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_gloo_ranks_agree_and_log_rank_means(tiny_av_set, tmp_path):
    config = tmp_path / 'probe.py'
    config.write_text(
        f"_base_ = ['{CONFIGS['clcr']}']\n"
        "custom_imports = dict(imports=['clcr_plugin', 'dist_probe'], "
        "allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='CLCRDiagnosticsHook'), "
        "dict(type='DistProbeHook')]\n")
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(free_port()),
        OMP_NUM_THREADS='1',
        PYTHONFAULTHANDLER='1',  # a crash prints every thread's stack
        PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT)]))
    work = tmp_path / 'dist'
    opts = [
        o for o in tiny_options(tiny_av_set, 1) if 'deterministic' not in o
    ]
    result = subprocess.run([
        'bash',
        str(ROOT / 'tools' / 'dist_train.sh'),
        str(config), '2', '--work-dir',
        str(work), '--cfg-options', *opts, 'train_cfg.val_begin=2'
    ],
                            capture_output=True,
                            text=True,
                            env=env,
                            timeout=500)
    assert result.returncode == 0, (
        result.stdout[-2000:] + result.stderr[-3000:])
    assert 'still run after destroy_process_group' not in result.stderr

    # the same weights on both ranks (DDP averaged the gradients)
    p0 = torch.load(work / 'params0.pth')
    p1 = torch.load(work / 'params1.pth')
    assert p0.keys() == p1.keys() and len(p0) > 100
    for name in p0:
        assert torch.equal(p0[name], p1[name]), name

    r0 = json.loads((work / 'probe0.json').read_text())
    r1 = json.loads((work / 'probe1.json').read_text())
    assert len(r0) == len(r1) == 4  # 32 clips / (2 ranks x 4)
    for it, (a, b) in enumerate(zip(r0, r1)):
        assert a['logged'] == b['logged']  # every rank logs the same
        # the ranks saw different clips, so their own values differ
        assert a['raw']['loss_cls'] != b['raw']['loss_cls']
        for key in ('loss_cls', 'loss_intra', 'loss_pr', 'loss_sp', 'loss_mix',
                    'top1_acc'):
            want = (a['raw'][key] + b['raw'][key]) / 2
            assert a['logged'][key] == pytest.approx(
                want, rel=1e-5, abs=1e-6), (it, key)
        assert a['logged_diag'] == pytest.approx(b['logged_diag'])
        for key in a['raw_diag']:
            want = (a['raw_diag'][key] + b['raw_diag'][key]) / 2
            assert a['logged_diag'][key] == pytest.approx(
                want, rel=1e-5, abs=1e-6), (it, key)
