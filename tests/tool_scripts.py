"""The scripts of ``tools/`` as modules (``tools`` is not a package)."""
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Optional, Union

ROOT = Path(__file__).resolve().parents[1]


def load_script(path: Union[str, Path],
                name: Optional[str] = None,
                register: bool = False) -> ModuleType:
    """Execute a script and return it as a module.

    Args:
        path: the script, relative to the repository root or absolute.
        name: the module's name. Default ``tool_<file stem>``.
        register: also enter it in ``sys.modules`` (worker processes can
            then pickle its functions); the caller removes it.
    """
    path = ROOT / path
    spec = importlib.util.spec_from_file_location(name or f'tool_{path.stem}',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
