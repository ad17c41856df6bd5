"""Which webhook URLs the gateway will call, and at which addresses (SPEC §6, T10).

A URL is checked when an endpoint is created or changed, and again before every
delivery: the host is resolved, every address it resolves to is vetted, and the
request then goes to a vetted address (with the URL's host in `Host` and in TLS SNI),
so a DNS answer that changes between the check and the connection (rebinding) cannot
steer a request inside. Redirects are never followed (delivery treats 3xx as failure).

Refused, in both modes: private, loopback, link-local, shared (100.64/10), unspecified,
multicast, reserved, documentation and metadata addresses, IPv4-mapped and other IPv6
forms that embed an IPv4 address; hosts written as decimal, octal or hex integers or
any other non-canonical IP form; single-label and internal names; user info in the
URL; ports outside WEBHOOK_ALLOWED_PORTS. Live mode requires https.

WEBHOOK_ALLOW_LOOPBACK lets test-mode endpoints use exactly `localhost`, `127.0.0.1`
and `[::1]` (any port, http allowed), for local development and tests; `localhost`
then means 127.0.0.1 and ::1 without asking DNS, and nothing else is relaxed.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network", 0.0.0.0
        "10.0.0.0/8",
        "100.64.0.0/10",  # shared address space (carrier NAT; Alibaba metadata)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata 169.254.169.254
        "168.63.129.16/32",  # Azure's host services (WireServer, metadata)
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments (Oracle metadata 192.0.0.192)
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/128",
        "::1/128",
        "::/96",  # IPv4-compatible
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo
        "2001:db8::/32",
        "2002::/16",  # 6to4
        "fc00::/7",  # unique local (AWS metadata fd00:ec2::254)
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",  # multicast
    )
)

LOOPBACK_HOSTS = {
    "localhost": (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")),
    "127.0.0.1": (ipaddress.ip_address("127.0.0.1"),),
    "::1": (ipaddress.ip_address("::1"),),
}
INTERNAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".localdomain",
    ".internal",
    ".intranet",
    ".lan",
    ".home.arpa",
    ".arpa",
)
DEFAULT_PORTS = {"https": 443, "http": 80}

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(\.{_OCTET}){{3}}")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


class UnsafeUrl(ValueError):
    """A URL the gateway refuses to call; `code` is the API error code."""

    def __init__(self, message: str, *, code: str = "url_invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case; an IPv6 literal without brackets
    port: int
    path: str  # what goes on the request line: path and query
    ip: IPAddress | None  # the host, when it is an IP literal
    loopback: bool  # one of LOOPBACK_HOSTS, allowed by WEBHOOK_ALLOW_LOOPBACK

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def address_allowed(address: IPAddress) -> bool:
    return address.is_global and not any(address in network for network in BLOCKED_NETWORKS)


def _split_netloc(netloc: str) -> tuple[str, str]:
    if netloc.startswith("["):
        host, bracket, rest = netloc[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise UnsafeUrl("The URL's host is not a valid IPv6 literal.")
        return host, rest[1:] if rest else ""
    if netloc.count(":") > 1:
        raise UnsafeUrl("Write IPv6 addresses in brackets, like https://[2001:db8::1]/.")
    host, _, port = netloc.partition(":")
    if _ and not port:
        raise UnsafeUrl("The URL has an empty port.")
    return host, port


def _port(raw: str, scheme: str) -> int:
    if not raw:
        return DEFAULT_PORTS[scheme]
    if not raw.isdigit() or not 0 < int(raw) < 65536 or raw.startswith("0"):
        raise UnsafeUrl("The URL's port is not a number from 1 to 65535.")
    return int(raw)


def _ip_literal(host: str, bracketed: bool) -> IPAddress | None:
    """The address a host names literally; refuses every non-canonical spelling."""
    if bracketed:
        if "%" in host:
            raise UnsafeUrl("IPv6 zone identifiers are not allowed.", code="url_not_allowed")
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise UnsafeUrl("The URL's host is not a valid IPv6 literal.") from exc
        if address.ipv4_mapped is not None:
            raise UnsafeUrl("IPv4-mapped IPv6 addresses are not allowed.", code="url_not_allowed")
        if host != address.compressed:
            raise UnsafeUrl("Write IPv6 addresses in their canonical (compressed) form.")
        return address
    last_label = host.rsplit(".", 1)[-1]
    if not _NUMERIC_LABEL.fullmatch(last_label):
        return None  # a DNS name (WHATWG: a host is an IPv4 address if it ends in a number)
    if not _CANONICAL_IPV4.fullmatch(host):
        raise UnsafeUrl(
            "IP addresses must be written as four decimal numbers (like 203.0.113.7); "
            "integer, octal, hex and shortened forms are not allowed.",
            code="url_not_allowed",
        )
    return ipaddress.IPv4Address(host)


def _check_dns_name(host: str) -> None:
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in host.split(".")):
        raise UnsafeUrl("The URL's host is not a valid DNS name.")
    if "." not in host or host == "localhost" or host.endswith(INTERNAL_SUFFIXES):
        raise UnsafeUrl("The URL's host must be a public DNS name.", code="url_not_allowed")


def parse(url: str, *, livemode: bool, allow_loopback: bool | None = None) -> Target:
    """Check a URL's shape against the policy; raises UnsafeUrl. No DNS here."""
    if allow_loopback is None:
        allow_loopback = settings.WEBHOOK_ALLOW_LOOPBACK
    if not isinstance(url, str) or not url:
        raise UnsafeUrl("Provide an https URL.")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"URLs are at most {MAX_URL_LENGTH} characters.")
    if not url.isascii() or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise UnsafeUrl("URLs are ASCII without spaces; write international names as xn--.")
    if "\\" in url:
        raise UnsafeUrl("URLs may not contain backslashes.")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unclosed or non-IP bracketed host, like http://[::1
        raise UnsafeUrl("The URL's host is not a valid IPv6 literal.") from exc
    scheme = parts.scheme.lower()
    if not scheme or not url[len(scheme) :].startswith("://"):
        raise UnsafeUrl("Not a URL: give the whole address, like https://example.com/webhooks.")
    if scheme not in DEFAULT_PORTS:
        raise UnsafeUrl("Webhook URLs use https.", code="url_invalid_scheme")
    netloc = parts.netloc
    if "@" in netloc:
        raise UnsafeUrl("URLs may not contain a user name or password.", code="url_not_allowed")
    raw_host, raw_port = _split_netloc(netloc)
    host = raw_host.lower()
    if not host:
        raise UnsafeUrl("The URL has no host.")
    if host.endswith("."):
        raise UnsafeUrl("Write the host without a trailing dot.")
    port = _port(raw_port, scheme)
    loopback = host in LOOPBACK_HOSTS
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    if loopback:
        if livemode or not allow_loopback:
            raise UnsafeUrl(
                "Loopback addresses are not allowed"
                + (" in live mode." if livemode and allow_loopback else "."),
                code="url_not_allowed",
            )
        return Target(scheme, host, port, path, LOOPBACK_HOSTS[host][0], loopback=True)

    if livemode and scheme != "https":
        raise UnsafeUrl("Live-mode webhook URLs must use https.", code="url_invalid_scheme")
    if port not in settings.WEBHOOK_ALLOWED_PORTS:
        allowed = ", ".join(str(p) for p in settings.WEBHOOK_ALLOWED_PORTS)
        raise UnsafeUrl(f"The URL's port must be one of {allowed}.", code="url_not_allowed")
    address = _ip_literal(host, bracketed=netloc.startswith("["))
    if address is None:
        _check_dns_name(host)
    elif not address_allowed(address):
        raise UnsafeUrl(_blocked_message(host), code="url_not_allowed")
    return Target(scheme, host, port, path, address, loopback=False)


def _blocked_message(host: str) -> str:
    return (
        f"{host} is a private, loopback, link-local, shared, reserved or metadata "
        "address; webhooks go to public addresses only."
    )


def getaddrinfo(host: str, port: int) -> list[str]:
    """The addresses DNS gives for a host (the tests replace this to play DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


def resolve(target: Target) -> list[IPAddress]:
    """Every address the target's host has now, each vetted; raises UnsafeUrl.

    One refused address refuses the whole answer: a name that mixes public and
    private answers is an attack, not a misconfiguration to work around.
    """
    if target.loopback:
        return list(LOOPBACK_HOSTS[target.host])
    if target.ip is not None:
        return [target.ip]
    try:
        answers = getaddrinfo(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"{target.host} does not resolve.", code="url_unresolvable") from exc
    addresses: list[IPAddress] = []
    for answer in answers:
        address = ipaddress.ip_address(answer.split("%", 1)[0])
        if not address_allowed(address):
            raise UnsafeUrl(
                f"{target.host} resolves to {address}, which is not a public address.",
                code="url_not_allowed",
            )
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeUrl(f"{target.host} does not resolve.", code="url_unresolvable")
    return addresses


def check(url: str, *, livemode: bool) -> Target:
    """The full check of an endpoint URL (shape and DNS), as at creation."""
    target = parse(url, livemode=livemode)
    resolve(target)
    return target
