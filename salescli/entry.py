"""The salescli command: signals handled from its first moment (loading the CLI takes a tenth of a second, in
which Ctrl-C printed a KeyboardInterrupt traceback), then salescli.cli.main."""

import os
import signal
import sys
from typing import Any


def _early(signum: int, frame: Any) -> None:
    # Nothing is open or written yet: leave at once. (Raising SystemExit here is not enough: the signal may land
    # in a callback of the import machinery, which prints the exception as "ignored" and goes on.)
    interrupted = signum == signal.SIGINT
    try:
        sys.stderr.write(f"Error: {'interrupted' if interrupted else 'terminated'}; nothing was saved\n")
        sys.stderr.flush()
    finally:
        os._exit(130 if interrupted else 143)


def main() -> None:
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _early)
    signal.signal(signal.SIGTERM, _early)
    from salescli.cli import Interrupted, Terminated
    from salescli.cli import main as run

    try:
        run()
    except (Interrupted, Terminated) as exc:
        # landed as run() restored the default handlers, the command done and its output whole: ended by the
        # signal, as any program then (not a traceback, not an error line over finished work)
        signum = signal.SIGINT if isinstance(exc, Interrupted) else signal.SIGTERM
        signal.signal(signum, signal.SIG_DFL)
        sys.stdout.flush()
        os.kill(os.getpid(), signum)
        os._exit(130 if signum == signal.SIGINT else 143)  # (were the signal blocked)
