"""Fast pre-check: every plugin's DOCUMENTATION/EXAMPLES/RETURN and doc fragment is valid YAML."""
import ast
import glob
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
bad = 0
for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "*", "*.py"))):
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id.isupper() and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str) \
                and node.targets[0].id in ("DOCUMENTATION", "EXAMPLES", "RETURN", "ATTRIBUTES", "INFO_ATTRIBUTES"):
            try:
                yaml.safe_load(node.value.value)
            except yaml.YAMLError as exc:
                bad += 1
                print("%s %s: %s" % (os.path.relpath(path, ROOT), node.targets[0].id, str(exc).replace("\n", " ")))
sys.exit(1 if bad else 0)
