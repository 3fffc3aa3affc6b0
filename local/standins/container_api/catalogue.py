"""The stamp designs the service offers (fixed data: the stand-in keeps no state)."""

from __future__ import annotations

from typing import TypedDict


class Stamp(TypedDict):
    id: str
    name: str
    country: str
    year: int
    denomination: str
    colors: list[str]


STAMPS: tuple[Stamp, ...] = (
    {
        "id": "alpine-meadow",
        "name": "Alpine Meadow",
        "country": "CH",
        "year": 1998,
        "denomination": "0.90 CHF",
        "colors": ["#2e7d32", "#fdd835"],
    },
    {
        "id": "harbour-lights",
        "name": "Harbour Lights",
        "country": "PT",
        "year": 2004,
        "denomination": "0.56 EUR",
        "colors": ["#1565c0", "#ffb300"],
    },
    {
        "id": "night-train",
        "name": "Night Train",
        "country": "AT",
        "year": 2012,
        "denomination": "0.70 EUR",
        "colors": ["#283593", "#eceff1"],
    },
    {
        "id": "lighthouse",
        "name": "Lighthouse",
        "country": "IE",
        "year": 2009,
        "denomination": "0.82 EUR",
        "colors": ["#c62828", "#fafafa"],
    },
    {
        "id": "cherry-blossom",
        "name": "Cherry Blossom",
        "country": "JP",
        "year": 2015,
        "denomination": "84 JPY",
        "colors": ["#f48fb1", "#6d4c41"],
    },
    {
        "id": "northern-lights",
        "name": "Northern Lights",
        "country": "NO",
        "year": 2018,
        "denomination": "17 NOK",
        "colors": ["#00bfa5", "#1a237e"],
    },
    {
        "id": "desert-rose",
        "name": "Desert Rose",
        "country": "MA",
        "year": 2001,
        "denomination": "7 MAD",
        "colors": ["#ef6c00", "#fff3e0"],
    },
    {
        "id": "canal-bridge",
        "name": "Canal Bridge",
        "country": "NL",
        "year": 2020,
        "denomination": "1.01 EUR",
        "colors": ["#ff6f00", "#37474f"],
    },
)
