# mmaction2's runtime plus the plug-in's reliability hooks (every config of
# the plug-in inherits this instead of mmaction::_base_/default_runtime.py):
# - EpochSeedHook: each epoch's random draws depend on seed and epoch only,
#   so a resumed run matches an uninterrupted one;
# - DataModelCheckHook: head num_classes and the pipeline's packed modalities
#   are checked against the data before each loop.
_base_ = ['mmaction::_base_/default_runtime.py']
default_hooks = dict(
    epoch_seed=dict(type='EpochSeedHook'),
    data_model_check=dict(type='DataModelCheckHook'))
