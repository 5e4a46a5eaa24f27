"""Values from requests and catalogs in one comparable form: domains, countries, regions,
cities, languages, IAB categories."""

from functools import lru_cache
from urllib.parse import urlsplit

import pycountry

DOMAIN_CACHE_SIZE = 65_536
_ALPHA2_TO_ALPHA3 = {country.alpha_2: country.alpha_3 for country in pycountry.countries}
_ALPHA3_TO_ALPHA2 = {alpha3: alpha2 for alpha2, alpha3 in _ALPHA2_TO_ALPHA3.items()}


def normalize_domain(domain: str) -> str:
    """Lower-case host name without port, trailing dot or a leading ``www.``; empty when the
    value is no URL at all."""
    host = domain.strip().lower().rstrip(".")
    if "/" in host:
        try:
            host = urlsplit(host if "//" in host else f"//{host}").hostname or ""
        except ValueError:  # e.g. an unbalanced "[": no host an exchange could mean
            return ""
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


def region_code(region: str | None, country: str | None) -> str | None:
    """ISO 3166-2 (``US-NY``) from a request's bare region (``NY``) and alpha-3 country."""
    if not region:
        return None
    upper = region.strip().upper()
    if "-" in upper:
        return upper
    alpha2 = _ALPHA3_TO_ALPHA2.get(country) if country else None
    return f"{alpha2}-{upper}" if alpha2 else None


def city_name(city: str) -> str:
    """Case-folded, with runs of white space made one space, so ``New  york`` is ``new york``."""
    return " ".join(city.split()).casefold()


def primary_language(tag: str | None) -> str | None:
    """The primary subtag of an ISO 639 code or BCP 47 tag, lower-case: ``en-GB`` -> ``en``."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").partition("-")[0].lower()
    return primary or None


def tier1_category(category: str) -> str:
    """The IAB 1.0 tier-1 parent of a category: ``IAB8-5`` -> ``IAB8`` (itself for a tier 1)."""
    return category.partition("-")[0]
