"""The currencies a workspace may count its customers' value in: ISO 4217's codes in use."""

from __future__ import annotations

from typing import Any

from feedback.errors import Invalid

DEFAULT = "USD"
# ISO 4217 codes of the currencies in circulation (funds, metals and test codes left out).
_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF
    XPF YER ZAR ZMW ZWG ZWL
"""
CURRENCIES = frozenset(_CODES.split())


def clean_currency(value: Any, field: str = "currency") -> str:
    """A currency code such as EUR: three upper-case letters ISO 4217 names."""
    if not isinstance(value, str) or value not in CURRENCIES:
        shown = f" {value!r}" if isinstance(value, str) and len(value) <= 8 else ""
        raise Invalid(
            f"Unknown currency{shown}; use an ISO 4217 code such as USD, EUR or GBP.", field
        )
    return value
