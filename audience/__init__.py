"""audience: dbt-native customer segmentation.

The package holds the pure Python logic that the dbt Python models call: the synthetic data
generator, clustering, CLV and churn models, personas, and the command-line interface.
"""

import threading

__version__ = "0.1.0"

#: Held by the dbt Python models (python_models/) while they import their job modules. dbt runs
#: two models at once, in threads of one process, and the first imports of scikit-learn and
#: scipy from two threads at the same time can fail with importlib's `_DeadlockError` (their
#: packages import each other in cycles): seen at 1M customers when churn_fit and cluster_fit
#: started together. One model imports at a time; after the first, the imports are cached.
import_lock = threading.Lock()
