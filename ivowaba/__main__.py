"""``python -m ivowaba``: the ``ivowaba`` command."""

from ivowaba.cli import main

if __name__ == "__main__":
    main()
