"""audience: dbt-native customer segmentation.

The package holds the pure Python logic that the dbt Python models call: the synthetic data
generator, clustering, CLV and churn models, personas, and the command-line interface.
"""

__version__ = "0.1.0"
