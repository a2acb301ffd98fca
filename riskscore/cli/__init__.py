"""The typer command line: ``riskscore score|memo|validate|batch|trend|…`` (see :mod:`riskscore.cli.app`)."""


def main() -> None:
    """Console-script entry point; imports the application only when it runs."""
    from riskscore.cli.app import main as run

    run()
