"""docs/python.md's notebook-style example runs: its Python blocks, in order, in one namespace,
from the workspace root (as a notebook opened there would)."""

import os
import re


def test_the_python_page_runs(root):
    text = (root / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    cwd = os.getcwd()
    os.chdir(root)
    try:
        namespace: dict = {}
        for k, block in enumerate(blocks):
            exec(compile(block, f"docs/python.md block {k + 1}", "exec"), namespace)
    finally:
        os.chdir(cwd)
    assert namespace["sol"].status == "optimal"
    assert namespace["rep"].html.startswith("<!DOCTYPE html>")
    assert os.path.isfile(os.path.join(namespace["report_dir"], "index.html"))
