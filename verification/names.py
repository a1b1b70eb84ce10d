"""The canonical form of a name, so that matching ignores how people type it (addresses: signatures.addresses)."""

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")
_APOSTROPHES = re.compile(r"['’ʼ`´]")
# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "æ": "ae", "œ": "oe"})


def name_key(full_name: str) -> str:
    """Case, accents, spacing, punctuation and word order folded away: "Núñez, Ana" == "ana nunez".

    Apostrophes join rather than split ("O'Brien" == "OBrien"); other punctuation separates words.
    """
    if full_name.isascii():  # most names: nothing to decompose (a roster import computes hundreds of thousands)
        stripped = full_name.lower()
    else:
        folded = unicodedata.normalize("NFKD", full_name.casefold()).translate(_UNDECOMPOSED)
        stripped = "".join(c for c in folded if not unicodedata.combining(c))
    words = _NON_WORD.sub(" ", _APOSTROPHES.sub("", stripped)).split()
    return " ".join(sorted(words))
