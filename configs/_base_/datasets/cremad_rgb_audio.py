# CREMA-D as tools/data/cremad/convert.py writes it: <split>.json, the videos
# under data_root/VideoFlash, the log-mel features under
# data_root/audio_logmel. 6 emotions (classes.txt).
_base_ = ['av_clips_rgb_audio.py']
data_root = 'data/cremad'
data_prefix = dict(video=data_root, audio=f'{data_root}/audio_logmel')
train_dataloader = dict(
    dataset=dict(ann_file=f'{data_root}/train.json', data_prefix=data_prefix))
val_dataloader = dict(
    dataset=dict(ann_file=f'{data_root}/val.json', data_prefix=data_prefix))
test_dataloader = dict(
    dataset=dict(ann_file=f'{data_root}/test.json', data_prefix=data_prefix))
