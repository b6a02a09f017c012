from .regression_head import RegressionHead

__all__ = ['RegressionHead']
