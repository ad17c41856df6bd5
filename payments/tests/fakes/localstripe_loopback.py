"""Run localstripe on 127.0.0.1 only, on a free port, keeping its store in memory.

localstripe's own entry point binds every interface (`::`) and pickles its store to a
fixed file in /tmp after every write. The test suite starts this wrapper instead:
it binds loopback, prints the chosen port on the first line of stdout, and turns the
disk store off so parallel runs never share state. It also confirms PaymentIntents
as Stripe does with a `return_url` (`_confirm_with_a_return_url`).

    python -m payments.tests.fakes.localstripe_loopback
"""

import socket
import sys

from aiohttp import web
from localstripe import resources

CONFIRM_ROUTE = ("POST", "/v1/payment_intents/{id}/confirm")


def _confirm_with_a_return_url(confirm):
    """localstripe refuses `return_url` on confirm. Stripe takes it, and sends a card
    that needs 3-D Secure to its page (`redirect_to_url`, then back to `return_url`)
    rather than asking for Stripe.js (`use_stripe_sdk`)."""

    def confirmed(id, return_url=None, **params):
        intent = confirm(id=id, **params)
        if return_url and intent.next_action:
            intent.next_action = {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": f"https://hooks.stripe.test/3ds/{id}",
                    "return_url": return_url,
                },
            }
        return intent

    return confirmed


def main() -> None:
    resources.Store.dump_to_disk = lambda self: None
    resources.extra_apis[:] = [
        (method, url, _confirm_with_a_return_url(func) if (method, url) == CONFIRM_ROUTE else func)
        for method, url, func in resources.extra_apis
    ]
    from localstripe import server  # builds its routes from extra_apis as it loads

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(server.app, sock=sock, print=None, access_log=None, handle_signals=True)


if __name__ == "__main__":
    sys.exit(main())
