"""`python -m groundswell` is the `groundswell` command."""

from groundswell.cli import main

main()
