"""Setuptools hook (metadata lives in pyproject.toml): generates the
message modules before the package is built, so an installed copy ships
them. Loads dlc_client/generate.py by path: the package itself imports the
modules being generated."""
import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

GENERATE = Path(__file__).resolve().parent / "dlc_client" / "generate.py"


def load_generate():
    spec = importlib.util.spec_from_file_location("dlc_client_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyGenerating(build_py):
    def run(self):
        load_generate().ensure()
        super().run()


setup(cmdclass={"build_py": BuildPyGenerating})
