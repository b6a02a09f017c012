_base_ = ['../_base_/r18-r18_1xb16-10e_synthetic-av-rgb-audio.py']
# Audio only: the RGB frames the pipeline loads are ignored by the model.
model = dict(
    backbones=dict(
        _delete_=True,
        audio=dict(
            type='ResNet',
            depth=18,
            pretrained=None,
            in_channels=1,
            out_indices=(1, 2, 3),
            norm_eval=False)),
    frames_per_view=dict(_delete_=True),
    ignore_inputs=('rgb', ),
    neck=dict(type='UnimodalFusion', modality='audio'))
