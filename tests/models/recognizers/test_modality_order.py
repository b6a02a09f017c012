"""No module depends on the order of a config dict's keys; the checkpoint
records the modality order and a mismatch is an error naming both."""
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.runner import load_checkpoint
from tiny_models import tiny_batch, tiny_recognizer

import clcr_plugin  # noqa: F401
from clcr_plugin.models.recognizers.modality_record import (decode_order,
                                                            encode_order)


def build(neck: str, reverse: bool):
    torch.manual_seed(0)
    model = MODELS.build(tiny_recognizer(neck, reverse))
    model.init_weights()
    return model.eval()


@pytest.mark.parametrize('neck', ['concat', 'dense', 'clcr'])
def test_reversed_config_dicts_build_the_same_model(neck):
    a, b = build(neck, False), build(neck, True)
    assert a.modalities == b.modalities == ('audio', 'rgb')
    assert a.neck.modality_names == ('audio', 'rgb')
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)  # same parameters in the same order
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key
    # the optimizer's view: parameters in the same order with the same shapes
    assert [p.shape
            for p in a.parameters()] == [p.shape for p in b.parameters()]
    with torch.no_grad():
        ya = a.test_step(tiny_batch(2))
        yb = b.test_step(tiny_batch(2))
    for pa, pb in zip(ya, yb):
        assert torch.equal(pa.pred_score, pb.pred_score)


def test_weights_of_one_order_load_into_the_other_with_equal_outputs():
    a, b = build('concat', False), build('concat', True)
    torch.manual_seed(5)
    for p in a.parameters():  # weights unlike b's fresh ones
        p.data.normal_()
    b.load_state_dict(a.state_dict())
    with torch.no_grad():
        for pa, pb in zip(
                a.test_step(tiny_batch(2)), b.test_step(tiny_batch(2))):
            assert torch.equal(pa.pred_score, pb.pred_score)


def test_state_dict_records_the_modality_order():
    state = build('concat', True).state_dict()
    assert decode_order(state['_extra_state']) == ('audio', 'rgb')
    assert decode_order(encode_order(())) == ()


def test_loading_another_modality_order_is_an_error_naming_both(tmp_path):
    model = build('concat', False)
    state = model.state_dict()
    state['_extra_state'] = encode_order(('rgb', 'audio'))
    with pytest.raises(
            ValueError,
            match=(r"trained with modality order \['rgb', 'audio'\], but "
                   r"this model has \['audio', 'rgb'\]")):
        model.load_state_dict(state)
    # the same through mmengine's checkpoint loader (tools/test.py, --resume)
    torch.save(dict(state_dict=state), tmp_path / 'other_order.pth')
    with pytest.raises(ValueError, match=r"order \['rgb', 'audio'\]"):
        load_checkpoint(model, str(tmp_path / 'other_order.pth'))
