"""What targeting looks at in a bid request, extracted once per request in normalised form."""

from functools import lru_cache
from urllib.parse import urlsplit

import pycountry

from openbid.openrtb.model import BidRequest, Imp

DOMAIN_CACHE_SIZE = 65_536
_ALPHA2_TO_ALPHA3 = {country.alpha_2: country.alpha_3 for country in pycountry.countries}


def normalize_domain(domain: str) -> str:
    """Lower-case host name without port, trailing dot or a leading ``www.``."""
    host = domain.strip().lower().rstrip(".")
    if "/" in host:
        host = urlsplit(host if "//" in host else f"//{host}").hostname or ""
    host = host.partition(":")[0]
    return host.removeprefix("www.")


@lru_cache(maxsize=DOMAIN_CACHE_SIZE)
def site_domains(raw: str) -> tuple[str, ...]:
    """The normalised suffixes of a request's site domain or page URL; cached, as sites repeat."""
    return domain_suffixes(normalize_domain(raw))


def domain_suffixes(domain: str) -> tuple[str, ...]:
    """The domain and its parents, so that a rule on ``example.com`` covers its subdomains."""
    labels = domain.split(".")
    return tuple(".".join(labels[i:]) for i in range(len(labels)) if labels[i])


def country_alpha3(code: str | None) -> str | None:
    """ISO-3166-1 alpha-3 as OpenRTB asks for; the alpha-2 codes some exchanges send are mapped."""
    if not code:
        return None
    upper = code.strip().upper()
    if len(upper) == 2:
        return _ALPHA2_TO_ALPHA3.get(upper)
    return upper


class RequestFeatures:
    """Request-level targeting values: the same for every impression of the request."""

    __slots__ = ("bundle", "country", "device_type", "domains", "inventory")

    def __init__(
        self,
        inventory: str | None,
        domains: tuple[str, ...],
        bundle: str | None,
        country: str | None,
        device_type: int | None,
    ) -> None:
        self.inventory = inventory
        self.domains = domains
        self.bundle = bundle
        self.country = country
        self.device_type = device_type


def request_features(request: BidRequest) -> RequestFeatures:
    """Extract inventory kind, site domain, app bundle, country and device type."""
    inventory: str | None = None
    domains: tuple[str, ...] = ()
    bundle: str | None = None
    site = request.site
    app = request.app
    if site is not None:
        inventory = "site"
        raw = site.domain or site.page
        if raw:
            domains = site_domains(raw)
    elif app is not None:
        inventory = "app"
        if app.bundle:
            bundle = app.bundle.strip().lower()
    elif request.dooh is not None:
        inventory = "dooh"
    country = None
    device_type = None
    device = request.device
    if device is not None:
        device_type = device.devicetype
        if device.geo is not None:
            country = country_alpha3(device.geo.country)
    if country is None and request.user is not None and request.user.geo is not None:
        country = country_alpha3(request.user.geo.country)
    return RequestFeatures(inventory, domains, bundle, country, device_type)


def banner_sizes(imp: Imp) -> tuple[tuple[int, int], ...]:
    """The sizes a banner impression accepts: its ``format`` list, else its ``w`` x ``h``."""
    banner = imp.banner
    if banner is None:
        return ()
    if banner.format:
        return tuple((f.w, f.h) for f in banner.format if f.w and f.h)
    if banner.w and banner.h:
        return ((banner.w, banner.h),)
    return ()
