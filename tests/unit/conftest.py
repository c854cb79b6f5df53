"""Make the collection importable as ansible_collections.prokube.mlflow for plain pytest runs."""
import os
import sys

HARNESS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness")
sys.path.insert(0, HARNESS)

import ansible_runner  # noqa: E402

sys.path.insert(0, ansible_runner.ensure_collection_link())
