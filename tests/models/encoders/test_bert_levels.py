"""BertLevels: chosen hidden layers of a tiny randomly initialised BERT,
loaded from a local folder; nothing is downloaded."""
import sys

import pytest
import torch

from clcr_plugin.models.encoders import BertLevels

TINY = dict(
    vocab_size=64,
    hidden_size=16,
    num_hidden_layers=3,
    num_attention_heads=2,
    intermediate_size=24,
    max_position_embeddings=64)


def tokens(n: int = 2, length: int = 10, valid=(6, 10)) -> torch.Tensor:
    """(n, 3, length): ids, attention mask, segment ids."""
    torch.manual_seed(1)
    mask = (torch.arange(length) < torch.tensor(valid)[:, None]).long()
    ids = torch.randint(1, 64, (n, length)) * mask
    return torch.stack([ids, mask, torch.zeros_like(mask)], 1)


def tiny(levels=(1, 2, 3), **kwargs) -> BertLevels:
    torch.manual_seed(0)
    return BertLevels(config=TINY, levels=levels, **kwargs).eval()


def test_levels_are_the_chosen_hidden_layers():
    model = tiny(levels=(0, 2, 3))
    x = tokens()
    outs = model(x)
    hidden = model.bert(
        input_ids=x[:, 0],
        attention_mask=x[:, 1],
        token_type_ids=x[:, 2],
        output_hidden_states=True).hidden_states
    assert len(hidden) == 4 and len(outs) == 3
    for out, index in zip(outs, (0, 2, 3)):
        assert out.shape == (2, 10, 16)
        torch.testing.assert_close(out, hidden[index])


def test_padding_tokens_leave_valid_tokens_unchanged():
    model = tiny()
    x = tokens()
    other = x.clone()
    other[0, 0, 6:] = 7  # other ids behind the mask of sample 0
    for a, b in zip(model(x), model(other)):
        torch.testing.assert_close(a[0, :6], b[0, :6])


def test_loads_a_local_folder_with_the_same_outputs(tmp_path):
    model = tiny()
    model.bert.save_pretrained(tmp_path / 'tiny-bert')
    loaded = BertLevels(
        pretrained=str(tmp_path / 'tiny-bert'), levels=(1, 2, 3)).eval()
    for a, b in zip(model(tokens()), loaded(tokens())):
        torch.testing.assert_close(a, b)


def test_frozen_encoder_has_no_trainable_weights_and_stays_in_eval():
    model = tiny(frozen=True).train()
    assert not model.bert.training
    assert not any(p.requires_grad for p in model.parameters())


def test_errors_name_the_argument(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match='no-such-bert'):
        BertLevels(pretrained=str(tmp_path / 'no-such-bert'))
    with pytest.raises(ValueError, match='exactly one of'):
        BertLevels()
    with pytest.raises(ValueError, match=r'levels=\(1, 4\).*\[0, 3\]'):
        BertLevels(config=TINY, levels=(1, 4))
    with pytest.raises(ValueError, match=r'expects \(N, 3, L\)'):
        tiny()(torch.zeros(2, 10, dtype=torch.long))
    monkeypatch.setitem(sys.modules, 'transformers', None)
    with pytest.raises(ImportError, match='optional dependency'):
        BertLevels(config=TINY)
