"""`python -m neoclone_core` runs the `neoclone` command."""

from neoclone_core.cli.main import main

main()
