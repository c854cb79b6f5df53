"""Stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test downloads get-pip from a host these machines cannot reach. It runs the cached script as
``__main__`` with pip's install arguments (``pip==X``, ``--no-setuptools`` ...). This one bootstraps pip
from the interpreter's own ``ensurepip`` and then installs the requested pip version from the
configured package index. sanity.sh copies it to where ansible-test looks for its cache.
"""
import subprocess
import sys

SKIP = {"--no-setuptools", "--no-wheel"}

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in SKIP]
subprocess.check_call([sys.executable, "-m", "pip", "install", "-q"] + args)
