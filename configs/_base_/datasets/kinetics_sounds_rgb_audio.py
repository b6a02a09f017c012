# Kinetics-Sounds as tools/data/kinetics_sounds/convert.py writes it:
# <split>.json in data_root, the videos in data/kinetics400 (its --videos),
# the log-mel features in data_root/audio_logmel. 31 classes (classes.txt).
_base_ = ['av_clips_rgb_audio.py']
data_root = 'data/kinetics_sounds'
data_prefix = dict(video='data/kinetics400', audio=f'{data_root}/audio_logmel')
train_dataloader = dict(
    dataset=dict(ann_file=f'{data_root}/train.json', data_prefix=data_prefix))
val_dataloader = dict(
    dataset=dict(ann_file=f'{data_root}/val.json', data_prefix=data_prefix))
test_dataloader = dict(
    dataset=dict(ann_file=f'{data_root}/test.json', data_prefix=data_prefix))
