# CMU-MOSEI from the processed pickle (tools/data/mosi_mosei/README.md):
# train / valid / test = 16,326 / 1,871 / 4,659 utterances, sentiment in
# [-3, 3]. The same layout and loaders as MOSI; audio features are 74-d,
# vision features 35-d.
_base_ = ['mosi_text_audio_vision.py']
data_root = 'data/mosei'
feature_dims = dict(audio=74, vision=35)
_dataset = dict(data_root=data_root)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
