"""flowscan: which personal data does this code send to which third party."""

__version__ = "0.1.0"

# A process that exits right after reporting (cli.console) keeps what its last scan
# built here instead of freeing it: ten megabytes of small objects take 0.05-0.07 s to free
# on a large tree, a tenth of a pre-commit run. None: freed as usual (a library).
RETAINED: list[object] | None = None
