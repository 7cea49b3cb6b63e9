"""The one test world, shared by the pytest suites (through thin fixtures in the conftests) and by bench/.

Plain functions and classes only, no fixtures: the sandbox process itself is `sandbox.harness`.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
