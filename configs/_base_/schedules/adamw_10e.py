# A short schedule for the synthetic set on CPU (the paper's SGD protocol for
# the real benchmarks lives in their own configs).
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=10, val_begin=1, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=40))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=10,
        eta_min=1e-5,
        by_epoch=True,
        begin=0,
        end=10)
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
randomness = dict(seed=0, deterministic=False)
