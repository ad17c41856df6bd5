"""Run localstripe on 127.0.0.1 only, on a free port, keeping its store in memory.

localstripe's own entry point binds every interface (`::`) and pickles its store to a
fixed file in /tmp after every write. The test suite starts this wrapper instead:
it binds loopback, prints the chosen port on the first line of stdout, and turns the
disk store off so parallel runs never share state.

    python -m payments.tests.fakes.localstripe_loopback
"""

import socket
import sys

from aiohttp import web
from localstripe import resources, server


def main() -> None:
    resources.Store.dump_to_disk = lambda self: None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(server.app, sock=sock, print=None, access_log=None, handle_signals=True)


if __name__ == "__main__":
    sys.exit(main())
