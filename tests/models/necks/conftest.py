"""Per-level features of two modalities, as the recognizer hands them to a
neck, and a shared check."""
import pytest
import torch

LEVEL_SHAPES = dict(
    rgb=[torch.Size([1, 4, 3, 4, 4]),
         torch.Size([1, 8, 3, 2, 2])],
    audio=[torch.Size([1, 4, 4, 4]),
           torch.Size([1, 8, 2, 2])])


def make_feats(n: int = 3, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {
        m: [torch.randn(n, *s[1:], generator=g) for s in shapes]
        for m, shapes in LEVEL_SHAPES.items()
    }


def unavailable_equals_absent(neck, x, drop: str) -> None:
    """Sample 1 with ``drop`` marked unavailable == sample 1 run without the
    ``drop`` key."""
    n = next(iter(x.values()))[0].shape[0]
    available = {drop: torch.arange(n) != 1}
    masked, _ = neck(x, available=available)
    alone = {
        m: [f[1:2] for f in levels]
        for m, levels in x.items() if m != drop
    }
    absent, _ = neck(alone)
    torch.testing.assert_close(masked[1:2], absent, atol=1e-5, rtol=1e-5)
    full, _ = neck(x)
    torch.testing.assert_close(
        masked[0], full[0], atol=1e-5,
        rtol=1e-5)  # other samples are untouched


@pytest.fixture
def feats():
    return make_feats


@pytest.fixture
def level_shapes():
    return LEVEL_SHAPES


@pytest.fixture
def assert_unavailable_equals_absent():
    return unavailable_equals_absent
