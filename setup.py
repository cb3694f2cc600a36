"""Map the top-level folders of the repository onto the one import package ``knowbench``.

``datasets_src/`` installs as ``knowbench.datasets_src``, ``builders/`` as ``knowbench.builders`` and so on,
so nothing generic such as ``training`` lands in site-packages. Everything else lives in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
FOLDERS = {
    "knowbench": "knowbench",
    "knowbench.datasets_src": "datasets_src",
    "knowbench.builders": "builders",
    "knowbench.loaders": "loaders",
    "knowbench.cards": "cards",
    "knowbench.training": "training",
}


def _packages() -> tuple[list[str], dict[str, str]]:
    packages, package_dir = [], {}
    for package, folder in FOLDERS.items():
        package_dir[package] = folder
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            relative = init.parent.relative_to(ROOT / folder)
            packages.append(".".join([package, *relative.parts]))
    return packages, package_dir


packages, package_dir = _packages()
setup(packages=packages, package_dir=package_dir)
