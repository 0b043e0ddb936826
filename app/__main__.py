"""``python -m app`` is the same as the ``cchc`` command."""

from app.cli import main

main()
