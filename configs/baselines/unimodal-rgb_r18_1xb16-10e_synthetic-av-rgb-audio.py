_base_ = ['../_base_/r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# RGB only: the audio the pipeline loads is ignored by the model.
model = dict(
    backbones=dict(
        _delete_=True,
        rgb=dict(
            type='ResNet',
            depth=18,
            pretrained=None,
            out_indices=(1, 2, 3),
            norm_eval=False)),
    ignore_inputs=('audio', ),
    neck=dict(type='UnimodalFusion', modality='rgb'))
