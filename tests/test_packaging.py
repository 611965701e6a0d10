"""What a built wheel contains: every module of the source tree."""

from __future__ import annotations

from pathlib import Path

import gem_gymnasium

PACKAGE = Path(gem_gymnasium.__file__).parent


def test_every_module_directory_is_a_regular_package() -> None:
    # Setuptools' package discovery skips a directory without __init__.py, so its modules would
    # work from a checkout (as a namespace package) yet be missing from an installed wheel.
    missing = [
        str(directory.relative_to(PACKAGE))
        for directory in sorted({path.parent for path in PACKAGE.rglob("*.py")})
        if not (directory / "__init__.py").exists()
    ]
    assert not missing, f"directories with modules but no __init__.py: {missing}"
