"""The CLCR method in plain PyTorch (no OpenMMLab imports)."""
from .budget import TokenBudget
from .clcr import CLCR, clcr_args_doc, clcr_arguments
from .exchange import SharedExchange
from .fused_norm import FusedFeatureNorm
from .hierarchy import (SemanticHierarchyEncoder, TokenAdapter, default_grid,
                        feature_channels)
from .inter_cad import InterCAD
from .intra_ced import IntraCED
from .losses import (cross_correlation_penalty, intra_level_loss,
                     level_mixing_loss, private_redundancy_loss,
                     shared_private_leakage_loss)
from .modality_dropout import modality_dropout_mask
from .outputs import CLCROutput, diagnostic_scalars
from .projection import capped_simplex_projection
from .subspaces import SharedPrivateBases

__all__ = [
    'CLCR', 'CLCROutput', 'FusedFeatureNorm', 'InterCAD', 'IntraCED',
    'SemanticHierarchyEncoder', 'SharedExchange', 'SharedPrivateBases',
    'TokenAdapter', 'TokenBudget', 'capped_simplex_projection',
    'clcr_args_doc', 'clcr_arguments', 'cross_correlation_penalty',
    'default_grid', 'diagnostic_scalars', 'feature_channels',
    'intra_level_loss', 'level_mixing_loss', 'modality_dropout_mask',
    'private_redundancy_loss', 'shared_private_leakage_loss'
]
