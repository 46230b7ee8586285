"""What the account page may show about a session's client: a coarse device ("Chrome on Linux") and a masked
address ("203.0.113.x"). Both are derived when the session is written; the raw user agent and IP are not kept."""
from __future__ import annotations

import ipaddress
from functools import lru_cache

import ua_parser

UNKNOWN = "Unknown device"


@lru_cache(maxsize=512)
def device_summary(user_agent: str) -> str:
    """"Chrome on Linux", "Mobile Safari on iOS", "Firefox", or "Unknown device" (ua-parser's families)."""
    if not user_agent:
        return UNKNOWN
    parsed = ua_parser.parse(user_agent[:1000])
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else ""
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else ""
    if browser and system:
        return f"{browser} on {system}"[:96]
    return (browser or system or UNKNOWN)[:96]


def ip_mask(address: str) -> str:
    """The network, not the host: IPv4 keeps three octets ("203.0.113.x"), IPv6 its /48; "" when unknown."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if ip.version == 4:
        return ".".join(str(ip).split(".")[:3]) + ".x"
    if ip.ipv4_mapped:
        return ip_mask(str(ip.ipv4_mapped))
    return str(ipaddress.ip_network(f"{ip}/48", strict=False))
