"""Early / middle / late hidden layers of a BERT-style encoder as CLCR levels
(``transformers`` is an optional dependency, imported when built)."""
import importlib
from pathlib import Path
from typing import Mapping, Optional, Sequence, Tuple

from torch import Tensor, nn


def import_transformers():
    """The ``transformers`` module, or an ImportError saying what needs it."""
    try:
        return importlib.import_module('transformers')
    except ImportError as exc:
        raise ImportError(
            'BertLevels needs the optional dependency `transformers` '
            '(pip install transformers); without it use TemporalConvNet on '
            "the pickles' 768-d text features (text_key='text')") from exc


class BertLevels(nn.Module):
    """A BERT-style encoder returning chosen hidden layers, shallow to deep.

    Input ``(N, 3, L)``: token ids, attention mask and segment ids stacked as
    in the processed pickles' ``text_bert``. Output: for every entry of
    ``levels``, the hidden states ``(N, L, hidden_size)`` after that layer
    (0 = the embeddings).

    Args:
        pretrained (str, optional): a local folder written by
            ``save_pretrained`` (e.g. ``bert-base-uncased``); nothing is
            downloaded. Default None.
        config (dict, optional): ``BertConfig`` arguments for a randomly
            initialised model, used when ``pretrained`` is None. Default None.
        levels (Sequence[int]): hidden layers to return. Default (4, 8, 12):
            early, middle and late layers of BERT-base (our choice; the
            paper names no indices).
        frozen (bool): keep the encoder's weights fixed and in eval mode.
            Default False.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 config: Optional[Mapping] = None,
                 levels: Sequence[int] = (4, 8, 12),
                 frozen: bool = False) -> None:
        super().__init__()
        transformers = import_transformers()
        if (pretrained is None) == (config is None):
            raise ValueError('BertLevels needs exactly one of pretrained (a '
                             'local folder) and config (a BertConfig dict)')
        if pretrained is not None:
            if not Path(pretrained).is_dir():
                raise FileNotFoundError(
                    f'BertLevels.pretrained={pretrained!r} is not a folder; '
                    'download the model once and give its local path')
            self.bert = transformers.AutoModel.from_pretrained(
                pretrained, local_files_only=True)
        else:
            self.bert = transformers.BertModel(
                transformers.BertConfig(**config))
        depth = self.bert.config.num_hidden_layers
        self.levels = tuple(int(i) for i in levels)
        if not self.levels or not all(0 <= i <= depth for i in self.levels):
            raise ValueError(f'BertLevels.levels={self.levels}: each must lie '
                             f'in [0, {depth}] (the encoder has {depth} '
                             'layers)')
        self.frozen = frozen
        if frozen:
            self.bert.requires_grad_(False)
        # One input for the build-time dry run of MultiModalRecognizer.
        self.dry_run_shape = (3, 8)

    def train(self, mode: bool = True) -> 'BertLevels':
        super().train(mode)
        if self.frozen:
            self.bert.eval()
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """``x`` (N, 3, L) ids / mask / segments -> (N, L, H) per level."""
        if x.dim() != 3 or x.shape[1] != 3:
            raise ValueError('BertLevels expects (N, 3, L) token ids, '
                             f'attention mask and segment ids, got '
                             f'{tuple(x.shape)}')
        x = x.long()
        out = self.bert(
            input_ids=x[:, 0],
            attention_mask=x[:, 1],
            token_type_ids=x[:, 2],
            output_hidden_states=True)
        return tuple(out.hidden_states[i] for i in self.levels)
