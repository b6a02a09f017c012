"""The bad-data policy on real broken files: errors name the file and the
annotation index; skips and fills are counted, never silent."""
import numpy as np
import pytest
import torch
from bad_media import AUDIO_CFG, write_ann

import clcr_plugin  # noqa: F401  (registers the plug-in)
from clcr_plugin.datasets import AudioVisualDataset
from clcr_plugin.datasets.bad_data import (CASES, BadDataError, BadDataPolicy,
                                           summarize_events)
from clcr_plugin.datasets.bad_data_dataset import DataPipelineError

PIPELINE = [
    dict(type='DecordInit'),
    dict(
        type='SampleFrames',
        clip_len=1,
        frame_interval=1,
        num_clips=2,
        test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(16, 16), keep_ratio=False),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='LoadAudioLogMel', **AUDIO_CFG),
    dict(type='SampleAudioWindows', window_seconds=1.0),
    dict(
        type='PackMultiModalInputs',
        modalities=dict(rgb='imgs', audio='audios')),
]
# entry of each broken clip, its case, and what its message must say
BROKEN = {
    'broken_video': (dict(video='cut.mp4'), 'cut.mp4: DecordInit failed'),
    'no_audio':
    (dict(video='no_audio.mp4'), 'no_audio.mp4: the file has no audio stream'),
    'short_audio':
    (dict(video='good1.mp4',
          audio='short.wav'), r'short.wav: the audio lasts 0.5\d s, less than '
     r"min_audio_coverage=0.9 of the video's 2.00 s"),
    'silent_audio': (dict(video='good1.mp4', audio='silent.wav'),
                     'silent.wav: the log-mel is constant'),
    'nonfinite_features': (dict(video='good1.mp4', audio='feats/nan.npy'),
                           'nan.npy: 1 of 4040 log-mel values are NaN or '
                           'inf'),
    'feature_settings_mismatch':
    (dict(video='good1.mp4', audio='feats_hop160/good.npy'),
     r'good.npy: the .npy lasts 4.0\d s .* the video 2.00 s: made with a '
     'shorter hop'),
}


def dataset(root, entries, test_mode=False, **kwargs) -> AudioVisualDataset:
    """Clip 0 is ``good0.mp4``; ``entries`` follow."""
    data_list = [dict(video='good0.mp4', label=0)
                 ] + [dict(label=1, **entry) for entry in entries]
    return AudioVisualDataset(
        write_ann(root / 'ann.json', data_list),
        PIPELINE,
        data_prefix=dict(video=str(root), audio=str(root)),
        test_mode=test_mode,
        **kwargs)


@pytest.fixture
def media(bad_media, tmp_path):
    """The broken files, seen from a per-test folder (its own annotation)."""
    for path in bad_media.iterdir():
        (tmp_path / path.name).symlink_to(path)
    return tmp_path


def test_policy_validates_cases_actions_and_coverage():
    assert BadDataPolicy().to_dict() == dict({kind: 'error'
                                              for kind in CASES},
                                             min_audio_coverage=0.9)
    assert BadDataPolicy(dict(
        no_audio='mark_missing'))['no_audio'] == ('mark_missing')
    with pytest.raises(KeyError, match=r"bad_data: unknown cases \['noaudio'"):
        BadDataPolicy(dict(noaudio='skip'))
    with pytest.raises(
            ValueError,
            match=r"bad_data.broken_video='mark_missing'; allowed: "
            r"\['error', 'skip'\]"):
        BadDataPolicy(dict(broken_video='mark_missing'))
    with pytest.raises(
            ValueError, match='min_audio_coverage=1.5; expected a number'):
        BadDataPolicy(dict(min_audio_coverage=1.5))


@pytest.mark.parametrize('kind', list(BROKEN))
def test_by_default_a_broken_clip_is_an_error_naming_file_and_index(
        media, kind):
    entry, message = BROKEN[kind]
    ds = dataset(media, [entry])
    assert ds[0]['inputs']['audio'].shape == (2, 1, 40, 50)
    with pytest.raises(BadDataError) as info:
        ds[1]
    assert info.value.kind == kind
    assert f"bad_data.{kind}='error'" in str(info.value)
    assert f'clip data_list[1] of {media / "ann.json"}' in str(info.value)
    assert info.match(message)


@pytest.mark.parametrize('kind',
                         [k for k in BROKEN if 'skip' in CASES[k].actions])
def test_a_skipped_clip_is_replaced_and_counted_on_the_next_sample(
        media, kind):
    ds = dataset(media, [BROKEN[kind][0]], bad_data={kind: 'skip'})
    item = ds[1]  # mmengine fetches another clip: only clip 0 is good
    assert item['data_samples'].gt_label.tolist() == [0]
    events = item['data_samples'].metainfo['data_events']
    assert events and {(e['kind'], e['action'], e['index'])
                       for e in events} == {(kind, 'skip', 1)}
    assert ds[0]['data_samples'].metainfo['data_events'] == []
    # a test-mode dataset cannot drop a clip once loading began
    with pytest.raises(BadDataError, match='a test-mode dataset cannot drop'):
        dataset(
            media, [BROKEN[kind][0]], test_mode=True, bad_data={kind:
                                                                'skip'})[1]


@pytest.mark.parametrize(
    'kind', ['no_audio', 'short_audio', 'silent_audio', 'nonfinite_features'])
def test_a_clip_marked_missing_has_zero_audio_and_an_availability_flag(
        media, kind):
    ds = dataset(media, [BROKEN[kind][0]], bad_data={kind: 'mark_missing'})
    item = ds[1]
    audio, rgb = item['inputs']['audio'], item['inputs']['rgb']
    assert audio.shape == (2, 1, 40, 50) and not audio.any()
    assert rgb.shape == (2, 3, 16, 16) and rgb.any()
    meta = item['data_samples'].metainfo
    assert meta['modality_available'] == dict(rgb=True, audio=False)
    assert [(e['kind'], e['action'], e['index'])
            for e in meta['data_events']] == [(kind, 'mark_missing', 1)]
    good = ds[0]['data_samples'].metainfo
    assert good['modality_available'] == dict(rgb=True, audio=True)


def test_short_audio_can_be_kept_padded_and_silence_kept_as_is(media):
    ds = dataset(
        media, [BROKEN['short_audio'][0], BROKEN['silent_audio'][0]],
        bad_data=dict(short_audio='pad', silent_audio='keep'))
    short, silent = ds[1], ds[2]
    window = short['inputs']['audio']  # (2, 1, 40, 50); audio ends at 0.5 s
    floor = window.min()
    assert (window[1] == floor).all() and (window[0] != floor).any()
    assert short['data_samples'].metainfo['modality_available']['audio']
    assert [e['action'] for e in short['data_samples'].data_events] == ['pad']
    assert silent['inputs']['audio'].unique().numel() == 1
    assert [e['kind']
            for e in silent['data_samples'].data_events] == ['silent_audio']


def test_a_truncated_wav_is_short_audio_by_its_header(media):
    ds = dataset(media, [dict(video='good1.mp4', audio='truncated.wav')])
    with pytest.raises(
            BadDataError,
            match=r'truncated.wav: its header declares 2.00 s of audio, only '
            r'0.8\d s decode \(a truncated file\?\)'):
        ds[1]
    ds = dataset(
        media, [dict(video='good1.mp4', audio='truncated.wav')],
        bad_data=dict(short_audio='pad'))
    events = ds[1]['data_samples'].data_events  # counted once, not twice
    assert [(e['kind'], e['action'])
            for e in events] == [('short_audio', 'pad')]


def test_features_with_the_record_and_a_finite_inf_check(media):
    ds = dataset(media, [
        dict(video='good1.mp4', audio='feats/good.npy'),
        dict(video='good1.mp4', audio='feats/inf.npy')
    ])
    assert torch.isfinite(ds[1]['inputs']['audio']).all()
    with pytest.raises(BadDataError, match='inf.npy: 1 of 4040 log-mel'):
        ds[2]


def test_load_time_checks_drop_or_mark_entries_and_log_them(media):
    entries = [
        dict(video='missing.mp4'),
        dict(video='good1.mp4', audio='missing.wav'),
        dict(video='good2.mp4', label=7)
    ]
    data_list = [dict(video='good0.mp4', label=0)
                 ] + [dict(dict(label=1), **e) for e in entries]
    ann = write_ann(media / 'load.json', data_list)
    kwargs = dict(
        data_prefix=dict(video=str(media), audio=str(media)), check_files=True)
    with pytest.raises(
            ValueError,
            match=r"data_list\[3\]: field 'label' is 7, not an int in \[0, "
            r'4\)'):
        AudioVisualDataset(
            ann,
            PIPELINE,
            bad_data=dict(broken_video='skip', no_audio='skip'),
            **kwargs)
    ds = AudioVisualDataset(
        ann,
        PIPELINE,
        bad_data=dict(
            broken_video='skip',
            no_audio='mark_missing',
            label_out_of_range='skip'),
        **kwargs)
    assert [info['ann_index'] for info in ds.load_data_list()] == [0, 2]
    assert len(ds) == 2
    assert {(e['kind'], e['index'])
            for e in ds.load_events} == {('broken_video', 1),
                                         ('label_out_of_range', 3)}
    item = ds[1]
    assert item['data_samples'].modality_available['audio'] is False
    assert not item['inputs']['audio'].any()


def test_another_transform_failing_is_a_pipeline_error_naming_the_clip(media):
    ds = dataset(media, [])
    ds.pipeline.transforms[-1].modalities['rgb'] = 'frames'
    with pytest.raises(
            DataPipelineError,
            match=r'clip data_list\[0\] of .*ann.json \(video .*good0.mp4\): '
            r"PackMultiModalInputs failed: KeyError: .*results\['frames'\]"):
        ds[0]


def test_skips_are_counted_through_dataloader_workers(media):
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader

    from clcr_plugin.engine.hooks.bad_data_summary_hook import batch_events
    ds = dataset(
        media, [BROKEN['broken_video'][0], BROKEN['no_audio'][0]],
        bad_data=dict(broken_video='skip', no_audio='skip'))
    events = []
    for batch in DataLoader(
            ds, batch_size=1, num_workers=2, collate_fn=pseudo_collate):
        events += batch_events(batch)
    # each broken clip is skipped at least once (a refetch may draw it again)
    assert {(e['kind'], e['index'])
            for e in events} == {('broken_video', 1), ('no_audio', 2)}
    assert ds.num_classes == 4


def test_summaries_count_clips_per_case_and_action():
    events = [
        dict(
            kind='broken_video',
            action='skip',
            file=f'{i}.mp4',
            detail='DecordInit failed',
            index=i) for i in range(7)
    ] + [
        dict(
            kind='no_audio',
            action='mark_missing',
            file='a.mp4',
            detail='no audio stream',
            index=9)
    ]
    lines = summarize_events(events, limit=2)
    assert lines == [
        '1 clip kept with the modality marked missing (no_audio): '
        'data_list[9] a.mp4: no audio stream',
        '7 clips skipped (broken_video): data_list[0] 0.mp4: DecordInit '
        'failed; data_list[1] 1.mp4: DecordInit failed; ... 5 more'
    ]
    assert np.isclose(
        BadDataPolicy(dict(min_audio_coverage=1)).min_audio_coverage, 1.0)
