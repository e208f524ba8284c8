"""jukinet: a testbed of Japan's Basic Resident Registry Network (Juki-net) as of FY2006.

The package `model` holds the system under test: the Act and the system configuration as
data (statute, policy), codes, the network graph, scenarios, and the command line.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jukinet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
