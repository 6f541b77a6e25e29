"""`python -m dashboard [streamlit options]`: start the Streamlit dashboard on the serving database.

Headless (no browser is opened) and without Streamlit's usage statistics; any further arguments go to
`streamlit run` (for example `--server.port 8600`).
"""

import sys
from pathlib import Path

from streamlit.web import cli

APP = Path(__file__).with_name("app.py")


def main(args: list[str]) -> None:
    sys.argv = ["streamlit", "run", str(APP), "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--server.address", "localhost", "--client.toolbarMode", "viewer",
                *args]
    sys.exit(cli.main())


if __name__ == "__main__":
    main(sys.argv[1:])
