"""The CLCR method in plain PyTorch (no OpenMMLab imports)."""
from .budget import TokenBudget
from .clcr import CLCR, CLCROutput
from .exchange import SharedExchange
from .hierarchy import SemanticHierarchyEncoder, TokenAdapter
from .inter_cad import InterCAD
from .intra_ced import IntraCED
from .modality_dropout import modality_dropout_mask
from .losses import (cross_correlation_penalty, intra_level_loss, level_mixing_loss,
                     private_redundancy_loss, shared_private_leakage_loss)
from .projection import capped_simplex_projection
from .subspaces import SharedPrivateBases

__all__ = [
    'CLCR', 'CLCROutput', 'InterCAD', 'IntraCED', 'SemanticHierarchyEncoder', 'SharedExchange',
    'SharedPrivateBases', 'TokenAdapter', 'TokenBudget', 'capped_simplex_projection',
    'cross_correlation_penalty', 'intra_level_loss', 'level_mixing_loss', 'modality_dropout_mask',
    'private_redundancy_loss',
    'shared_private_leakage_loss'
]
