"""What to do with a bad clip: the policy, its error and its events (no
OpenMMLab imports).

A dataset that runs its pipeline through :class:`~clcr_plugin.datasets.
bad_data_dataset.BadDataMixin` puts its :class:`BadDataPolicy` into every
results dict (``results['bad_data_policy']``) and an empty event list
(``results['data_events']``). A transform that finds bad data calls
:func:`handle_bad_data`, which looks the case up in the policy and either
raises :class:`BadDataError` (``'error'``, ``'skip'``: the dataset names the
clip, or drops it and counts it) or records an event and returns the action
(``'mark_missing'``, ``'pad'``, ``'keep'``) for the transform to carry out.
Outside such a dataset every case is an error.
"""
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

POLICY_KEY = 'bad_data_policy'
EVENTS_KEY = 'data_events'
# results keys whose value is a zero placeholder for an absent modality
UNAVAILABLE_KEY = 'unavailable_keys'


@dataclass(frozen=True)
class BadDataCase:
    """One kind of bad data: the actions it allows, its default, what it
    is."""

    actions: Tuple[str, ...]
    default: str
    doc: str


CASES: Dict[str, BadDataCase] = {
    'broken_video':
    BadDataCase(('error', 'skip'), 'error',
                'the video file is missing, cannot be opened, or a frame '
                'cannot be decoded (e.g. a file cut short)'),
    'no_audio':
    BadDataCase(('error', 'skip', 'mark_missing'), 'error',
                'no usable audio: the audio file is missing or cannot be '
                'opened, the container has no audio stream, or the stream '
                'fails to decode or holds no samples'),
    'short_audio':
    BadDataCase(('error', 'skip', 'mark_missing', 'pad'), 'error',
                'the audio lasts less than min_audio_coverage of the video, '
                'or decodes to less than min_audio_coverage of its declared '
                'duration (a truncated download); pad keeps the clip with the '
                'missing time padded'),
    'silent_audio':
    BadDataCase(('error', 'skip', 'mark_missing', 'keep'), 'error',
                "the whole clip's log-mel is constant (digital silence)"),
    'nonfinite_features':
    BadDataCase(('error', 'skip', 'mark_missing'), 'error',
                'the audio feature holds NaN or inf'),
    'feature_settings_mismatch':
    BadDataCase(('error', ), 'error',
                'a .npy feature was made with other settings than the '
                "pipeline's: its audio_feature_config.json differs, its "
                'number of mel bands differs, or (no record) it lasts more '
                'than 1 / min_audio_coverage times the video'),
    'label_out_of_range':
    BadDataCase(('error', 'skip'), 'error',
                'an annotation label is not an int in [0, len(classes))'),
}
# what each action does to the clip, as the summaries word it
ACTION_WORDS = {
    'skip': 'skipped',
    'mark_missing': 'kept with the modality marked missing',
    'pad': 'kept with padded audio',
    'keep': 'kept as they are',
}


class BadDataError(ValueError):
    """Bad data found by a transform or a dataset.

    Args:
        kind: a key of :data:`CASES`.
        path: the file at fault.
        detail: what is wrong, with the values found and expected.
        action: ``'error'`` or ``'skip'``, what the policy asks.
    """

    def __init__(self,
                 kind: str,
                 path: str,
                 detail: str,
                 action: str = 'error') -> None:
        super().__init__(f'{path}: {detail} [bad_data.{kind}={action!r}]')
        self.kind = kind
        self.path = str(path)
        self.detail = detail
        self.action = action


class BadDataPolicy:
    """The action for every case of :data:`CASES`, plus the audio coverage
    tolerance.

    Args:
        cfg: ``{case: action}`` for the cases that differ from their default
            (``'error'``), and optionally ``min_audio_coverage`` (fraction of
            the video, or of the declared audio duration, the decoded audio
            must cover; default 0.9). None: every default.
        source: who gives ``cfg``, named in errors. Default ``'bad_data'``.

    Raises:
        KeyError: an unknown case (the message lists the known ones).
        ValueError: an action the case does not allow, or a coverage outside
            (0, 1]; both name the key, the value and what is allowed.
    """

    def __init__(self,
                 cfg: Optional[Mapping] = None,
                 source: str = 'bad_data') -> None:
        cfg = dict(cfg or {})
        coverage = cfg.pop('min_audio_coverage', 0.9)
        unknown = sorted(set(cfg) - set(CASES))
        if unknown:
            raise KeyError(f'{source}: unknown cases {unknown}; known: '
                           f"{[*CASES, 'min_audio_coverage']}")
        for kind, action in cfg.items():
            if action not in CASES[kind].actions:
                raise ValueError(f'{source}.{kind}={action!r}; allowed: '
                                 f'{list(CASES[kind].actions)}')
        if isinstance(
                coverage,
                bool) or not isinstance(coverage,
                                        (int, float)) or not 0 < coverage <= 1:
            raise ValueError(f'{source}.min_audio_coverage={coverage!r}; '
                             'expected a number in (0, 1]')
        self.actions = {
            kind: cfg.get(kind, c.default)
            for kind, c in CASES.items()
        }
        self.min_audio_coverage = float(coverage)

    def __getitem__(self, kind: str) -> str:
        return self.actions[kind]

    def to_dict(self) -> dict:
        """The full policy, every case spelled out."""
        return dict(self.actions, min_audio_coverage=self.min_audio_coverage)

    def __repr__(self) -> str:
        return f'BadDataPolicy({self.to_dict()})'


def policy_of(results: Mapping) -> BadDataPolicy:
    """The policy a dataset put into ``results``; the default (every case an
    error) outside such a dataset."""
    return results.get(POLICY_KEY) or BadDataPolicy()


def handle_bad_data(results: dict, kind: str, path: str, detail: str) -> str:
    """Apply the policy of ``results`` to a bad-data finding.

    Returns the action (``'mark_missing'``, ``'pad'`` or ``'keep'``) the
    caller must carry out, after recording an event in
    ``results['data_events']``.

    Raises:
        BadDataError: the policy says ``'error'`` or ``'skip'``.
    """
    action = policy_of(results)[kind]
    if action in ('error', 'skip'):
        raise BadDataError(kind, path, detail, action)
    results.setdefault(EVENTS_KEY, []).append(
        dict(kind=kind, action=action, file=str(path), detail=detail))
    return action


def mark_unavailable(results: dict, key: str) -> None:
    """Record that ``results[key]`` is a zero placeholder for an absent
    modality (``PackMultiModalInputs`` turns this into the sample's
    availability flag)."""
    results.setdefault(UNAVAILABLE_KEY, set()).add(key)


def is_unavailable(results: Mapping, key: str) -> bool:
    """Whether ``results[key]`` is a placeholder (see
    :func:`mark_unavailable`)."""
    return key in results.get(UNAVAILABLE_KEY, ())


def summarize_events(events: List[dict], limit: int = 5) -> List[str]:
    """One line per (action, case): ``'3 clips skipped (broken_video):
    data_list[4] a.mp4: <detail>; ...'``, at most ``limit`` clips each."""
    groups: Dict[Tuple[str, str], List[dict]] = {}
    for event in events:
        groups.setdefault((event['action'], event['kind']), []).append(event)
    lines = []
    for (action, kind), group in sorted(groups.items()):
        shown = '; '.join(f"{_where(e)}: {e['detail']}" for e in group[:limit])
        more = f'; ... {len(group) - limit} more' if len(group) > limit else ''
        noun = 'clip' if len(group) == 1 else 'clips'
        lines.append(f'{len(group)} {noun} {ACTION_WORDS[action]} ({kind}): '
                     f'{shown}{more}')
    return lines


def _where(event: Mapping) -> str:
    """``'data_list[4] a.mp4'`` (or the file alone for an event without an
    index)."""
    if 'index' in event:
        return f"data_list[{event['index']}] {event['file']}"
    return event['file']
