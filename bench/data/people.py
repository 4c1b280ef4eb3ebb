"""Synthetic identities: names made of syllables (no real person's), IL numbers and SSNs that are
unique by construction (an affine bijection of the person's index, its constants drawn from the
seed), and the vocabulary of employers, productions and places the records use."""
from __future__ import annotations

import itertools
import math
import random
from functools import cached_property

IL_SPACE = 10**10
# valid SSNs (common.identity.normalise_ssn): area 001-899 except 666, group 01-99, serial 0001-9999
AREAS = tuple(a for a in range(1, 900) if a != 666)
PER_AREA = 99 * 9999
SSN_SPACE = len(AREAS) * PER_AREA

_ONSETS = ("B", "Br", "C", "Ch", "D", "Dr", "F", "G", "Gr", "H", "J", "K", "Kr", "L", "M", "N", "P", "Pr",
           "R", "S", "Sh", "St", "T", "Th", "V", "W", "Y", "Z")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "oo", "ie")
_CODAS = ("", "n", "r", "l", "s", "th", "nd", "rk", "ll", "m", "x", "ck")
_ENDINGS = ("", "", "", "son", "ez", "man", "ton", "berg", "ova", "ski", "wood", "ley", "field", "er")
FIRST_NAMES = (
    "Avery", "Blake", "Cameron", "Dana", "Eden", "Finley", "Gray", "Harper", "Indigo", "Jules", "Kai",
    "Logan", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum", "Uma", "Val",
    "Wren", "Xen", "Yael", "Zion", "Ari", "Bellamy", "Corin", "Delta", "Emery", "Fable", "Gale", "Hollis",
    "Ira", "Jory", "Kit", "Lane", "Marlo", "Nico", "Onyx", "Pax", "Rio", "Shay", "Teo", "Vesper", "Wynn",
    "Remy", "Sol", "Tory", "Arden", "Brook", "Cruz", "Dell", "Ellis", "Fern", "Gio", "Hale", "Ives", "Jem",
)
EMPLOYERS = tuple(f"{a} {b}" for a, b in itertools.product(
    ("Silverlake", "Burbank Ridge", "Canyon", "Pacific Arc", "Mesa", "Harbor", "Foothill", "Sunset Line",
     "Valley Star", "Coastline"),
    ("Pictures", "Studios", "Productions", "Media", "Entertainment", "Films", "Television", "Stages")))
PRODUCTIONS = tuple(f"{a} {b}" for a, b in itertools.product(
    ("The Long", "Midnight", "Paper", "Silent", "Golden", "Broken", "Hidden", "Electric", "Last", "Northern",
     "Copper", "Velvet"),
    ("Harbor", "Signal", "Orchard", "Crossing", "Season", "Frontier", "Garden", "Engine", "Witness",
     "Meridian", "Lantern", "Tide")))
CITIES = (("Burbank", "915"), ("Glendale", "912"), ("Los Angeles", "900"), ("Pasadena", "911"),
          ("Santa Clarita", "913"), ("North Hollywood", "916"), ("Culver City", "902"), ("Van Nuys", "914"),
          ("Long Beach", "908"), ("Santa Monica", "904"))
STREETS = ("Olive Ave", "Magnolia Blvd", "Victory Blvd", "Riverside Dr", "Chandler Blvd", "Lankershim Blvd",
           "Buena Vista St", "Hollywood Way", "Alameda Ave", "Verdugo Ave")


def _stride(rng: random.Random, space: int) -> int:
    while True:
        candidate = rng.randrange(space // 3, space - 1)
        if math.gcd(candidate, space) == 1:
            return candidate


class Identities:
    """Who person number i is, for one seed; the same i is the same person at every size."""

    def __init__(self, seed: int):
        rng = random.Random(f"bench-identities-{seed}")
        self.il_a, self.il_b = _stride(rng, IL_SPACE), rng.randrange(IL_SPACE)
        self.ssn_a, self.ssn_b = _stride(rng, SSN_SPACE), rng.randrange(SSN_SPACE)

    def il_number(self, i: int) -> str:
        return f"{(self.il_a * i + self.il_b) % IL_SPACE:010d}"

    def ssn(self, i: int) -> str:
        k = (self.ssn_a * i + self.ssn_b) % SSN_SPACE
        area, rest = divmod(k, PER_AREA)
        group, serial = divmod(rest, 9999)
        return f"{AREAS[area]:03d}{group + 1:02d}{serial + 1:04d}"

    @cached_property
    def last_names(self) -> tuple[list[str], list[float]]:
        """About 5,000 surnames with Zipf-like frequencies (a few common, a long tail)."""
        names = sorted({f"{o}{v}{c}{e}" for o, v, c, e in itertools.product(_ONSETS, _VOWELS, _CODAS, _ENDINGS)
                        if len(o + v + c + e) >= 3})
        random.Random("bench-surnames").shuffle(names)
        names = names[:5000]
        return names, list(itertools.accumulate(1 / (rank + 8) for rank in range(len(names))))

    def last_name(self, rng: random.Random) -> str:
        names, cumulative = self.last_names
        return rng.choices(names, cum_weights=cumulative)[0]
