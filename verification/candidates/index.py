"""A roster's names indexed by blocking keys, so a claim is compared with a handful of entries, not all of them.

Blocking: for each ordered pair of a name's words (X, Y), in each way the name may be segmented, the name is
indexed under "skeleton of X | first two letters of Y" and "skeleton of X | last letter of Y" (a one-word name
under keys of its own). First letters are taken by class, so Julia, Yulia and Iulia all start "iu". A match in
`compare` needs two words to meet (say the family name and the given name), and each kind of word match leaves
one of these keys intact:

- the same word, a transliteration or a vowel written differently keep the skeleton (Sergey/Sergei, Mohamed/mhmd);
- an initial is looked up under every first two letters it may stand for (J./John, Yu./Julia: "iu"); a
  nickname keeps a nickname key (below);
- a one-letter typo in one word leaves the other word's skeleton as the anchor, and changes either the typo'd
  word's first two letters or its last one, not both;
- word order does not matter (both orders are indexed), and CJK spacing, hyphens and particles are covered by
  indexing every segmentation.

A claim also looks up a word by its first two consonants, and a claim written without vowels (Arabic, Devanagari)
by the first letters its word may have once vowels are written in, so that "Ahmed" and "أحمد" (hmd) meet.

A word the `nicknames` data knows is also indexed as "skeleton of X | @word", and a claim looks up "@" keys for
its words and all their related names, so Steve Dunn finds Steven Dunn under one tiny key rather than among
every Dunn with an S name.

A name is also indexed under its readings (nameforms.NameForms): the Japanese readings of kanji or kana (Suzuki
Rei for 鈴木 零, see japanese.py), a Greek name as spoken (Mando for Μαντώ), Cyrillic г as h (Bohdan for Богдан).
A claim whose word may be a Korean family name is also looked up under that name's other spellings (Rhee under
Lee, the token names in Hangul get; a claim in Hangul under all of them), when the roster has names in Hangul.
Beside a Korean family name, the other words are also keyed by their Korean fold ("lee|%^gi" for Kyunghee and
Gyeonghui alike, see korean.fold), since a given name's RR and MR spellings differ at both ends.

A claim looks up its own keys and counts, per entry, the keys it shares, weighted by rarity (an entry alone
under a key counts 9, one among 500 counts 1); only the best-sharing few dozen entries are then scored with
`compare` (rapidfuzz edit distances and the rules there) and ranked.
"""

import gc
from collections import _count_elements, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter

from . import korean
from .compare import Typed
from .nameforms import HANGUL, PARTICLES, VOWELLESS, NameForms, name_forms, particles
from .words import token_keys, vowel_tails

SHORTLIST = 30  # entries scored per claim, best-sharing first
BIG_BLOCK = 2_000  # a key shared by more entries than this is only read when smaller ones found too little
# An entry sharing less than this part of the best one's weight is not scored; for an unspaced CJK claim, divided
# by its number of splits: an entry may meet only one of them (佐藤 陽一 meets one split of 佐藤陽一, which meets
# all three).
SHARE_FLOOR = 1 / 3


@dataclass(frozen=True, slots=True)
class Candidate:
    """A roster entry that may be the claimant: score 1.0 is the same normalised name; reason says why."""

    entry_id: int
    score: float
    reason: str


def block_keys(forms: NameForms, query: bool = False, korean_names: bool = False) -> set[str]:
    """The keys a name is indexed under, or (`query`) looked up by. See the module docstring.

    Nickname keys ("skeleton of X | @given name") are asymmetric: a roster name is indexed under its own given
    name, a claim looks up its given name and every name related to it (Bill -> william, robert...). So are
    Korean family names: with `korean_names` (the roster has names in Hangul), a claim is also looked up under
    the other spellings of a family name among its words, and by the Korean fold of the words beside one.
    """
    initials = forms.initials
    variants = forms.variants + forms.readings if forms.readings else forms.variants
    vowelless = bool(forms.script & VOWELLESS)
    # Korean keys: for a name in Hangul, and for a claim in Latin letters when the roster has names in Hangul.
    korean_keys = bool(forms.script & HANGUL or query and korean_names and not forms.script)
    if query and korean_keys:
        variants += _korean_spellings(variants, bool(forms.script & HANGUL))
    if len(variants) == 1 and len(variants[0]) == 2 and not initials and not query and not korean_keys:
        # most roster names, sooner
        x, y = variants[0]
        kx, ky = token_keys(x), token_keys(y)
        keys = set(map(kx.anchor.__add__, ky.tails))
        keys.update(map(ky.anchor.__add__, kx.tails))
        if ky.nicknames:
            keys.update(map(kx.anchor.__add__, ky.nickname_tails if query else ky.nickname_tails[:1]))
        if kx.nicknames:
            keys.update(map(ky.anchor.__add__, kx.nickname_tails if query else kx.nickname_tails[:1]))
        return keys
    keys: set[str] = set()
    for variant in variants:
        if len(variant) > 2 and not PARTICLES.isdisjoint(variant):
            # Particles ("al", "de", "van") are not names: as keys they would only make huge blocks.
            skip = particles(variant)
            variant = tuple(t for n, t in enumerate(variant) if n not in skip)
        if len(variant) == 1:
            token = variant[0]
            if token not in initials:
                k = token_keys(token)
                keys.update((k.anchor, "<" + k.trans[:3], ">" + k.trans[-3:]))
            continue
        words = [token_keys(t) for t in variant]
        is_initial = [t in initials for t in variant] if initials else [False] * len(variant)
        for i, kx in enumerate(words):
            if is_initial[i]:
                continue
            add = kx.anchor.__add__
            for j, ky in enumerate(words):
                if i == j:
                    continue
                if is_initial[j]:
                    keys.update(map(add, ky.initial_tails))
                    continue
                keys.update(map(add, ky.tails))
                if query:
                    keys.add(add(ky.consonant_tail))
                    if vowelless:
                        keys.update(map(add, vowel_tails(variant[j])))
                if ky.nicknames:
                    keys.update(map(add, ky.nickname_tails if query else ky.nickname_tails[:1]))
                if korean_keys and korean.is_family_token(variant[i]):
                    folded = korean.fold(variant[j])
                    keys.update((add("%^" + folded[:2]), add("%$" + folded[-1:])))
    return keys


def _korean_spellings(variants: tuple[tuple[str, ...], ...], hangul: bool) -> tuple[tuple[str, ...], ...]:
    """The segmentations again with one family name respelled (see korean.spellings_to_look_up)."""
    more = []
    for variant in variants:
        for n, word in enumerate(variant):
            for spelling in sorted(korean.spellings_to_look_up(word, hangul)):
                more.append((*variant[:n], spelling, *variant[n + 1 :]))
    return tuple(more)


class CandidateIndex:
    """Roster names, indexed once, for finding the entries a claimed name may refer to.

    Built from (entry_id, full_name) pairs; letterless names are left out. An entry id seen twice keeps its
    last name (its earlier keys then lead to an entry that is scored under the new name, which is harmless).
    """

    __slots__ = ("_korean", "_names", "_postings")

    def __init__(self, entries: Iterable[tuple[int, str]]) -> None:
        # The build allocates a few hundred thousand small objects and no reference cycles: the cyclic garbage
        # collector would only rescan them over and over (a third of the build time), so it waits until the end.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build(entries)
        finally:
            if collecting:
                gc.enable()

    def _build(self, entries: Iterable[tuple[int, str]]) -> None:
        postings: defaultdict[str, list[int]] = defaultdict(list)
        names: dict[int, NameForms] = {}
        scripts = 0
        for entry_id, full_name in entries:
            forms = name_forms(full_name)
            if forms:
                names[entry_id] = forms
                scripts |= forms.script
                for key in block_keys(forms):
                    postings[key].append(entry_id)
        self._korean = bool(scripts & HANGUL)
        # Most keys belong to one entry: they keep the bare id. The others become tuples: smaller than lists, and
        # tuples of ints drop out of the garbage collector's sight, so they don't slow down every full collection.
        # Replaced in place, so the lists and their replacements are never all in memory at once.
        compact: dict[str, int | tuple[int, ...]] = postings  # type: ignore[assignment]
        for key, ids in postings.items():
            compact[key] = ids[0] if len(ids) == 1 else tuple(ids)
        postings.default_factory = None
        self._postings = compact
        self._names = names

    def __len__(self) -> int:
        return len(self._names)

    def candidates(self, full_name: str, limit: int = 5) -> list[Candidate]:
        """Up to `limit` roster entries whose names may be this one, best first. [] for a letterless name."""
        forms = name_forms(full_name)
        if not forms or limit <= 0 or not self._names:
            return []
        # Rank entries by the keys they share with the claim, a rare key counting for more than a common one
        # (roughly log-IDF: an entry alone under a key gets 9, one of 500 gets 1). Smallest blocks first; a big
        # block is only read while fewer than a shortlist's worth of entries have been seen.
        shared: dict[int, int] = {}
        count = shared.get
        postings = self._postings
        blocks = []
        # In the keys' sorted order, and ties ranked by entry id below: a set's order changes with the process's
        # hash seed, and two workers must shortlist the same entries for the same claim.
        for key in sorted(block_keys(forms, query=True, korean_names=self._korean)):
            ids = postings.get(key)
            if type(ids) is int:
                shared[ids] = count(ids, 0) + 9
            elif ids is not None:
                blocks.append(ids)
        blocks.sort(key=len)
        weights = [max(1, 10 - len(ids).bit_length()) for ids in blocks]
        # Only an entry sharing at least `share_floor` of the best one's weight is scored (below). Once the blocks
        # left to read weigh less than that together (`left`), an entry not met yet cannot reach it: from then on
        # only the entries already met are counted (the same shortlist, for a pass over each block instead of
        # `weight` passes that also count every newcomer). Only with a shortlist's worth met already, so that
        # the big-block rule below reads the same blocks. (An id twice in one block, which only an index given the
        # same entry twice can hold, then counts once: RosterIndex gives each entry once.)
        share_floor = SHARE_FLOOR / (len(forms.variants) if forms.respaced else 1)
        left, best, closed = sum(weights), 0, False
        for ids, weight in zip(blocks, weights, strict=True):
            size = len(ids)
            if size > BIG_BLOCK and len(shared) >= SHORTLIST:
                break
            if not closed and len(shared) >= SHORTLIST:
                best = max(shared.values())  # a lower bound of the final best: it only grows
                closed = left < best * share_floor
            left -= weight
            if closed:
                for entry_id in shared.keys() & ids:  # the entries met already, found in C
                    shared[entry_id] += weight
            elif size <= 16:
                for entry_id in ids:
                    shared[entry_id] = count(entry_id, 0) + weight
            else:
                _count_elements(shared, ids * weight)  # Counter.update's counting, in C, `weight` times over
        if not shared:
            return []
        # The entries sharing most, ties by entry id (a stable sort of the id-sorted items), without a Python loop
        # over every entry counted (a claim counts 170 on average, up to a few thousand): only those sharing at
        # least as much as the SHORTLIST-th best are sorted (the same first SHORTLIST), picked out in C.
        if len(shared) > SHORTLIST:
            least = sorted(shared.values(), reverse=True)[SHORTLIST - 1]
            items = compress(shared.items(), map(least.__le__, shared.values()))
        else:
            items = shared.items()
        ranked = sorted(sorted(items), key=itemgetter(1), reverse=True)[:SHORTLIST]
        # Entries sharing far less than the best one are not worth scoring (they would not make the list).
        floor = ranked[0][1] * share_floor
        names = self._names
        typed = Typed(forms)  # the claim's side of every comparison, prepared once
        found = []
        exact = 0
        for entry_id, weight in ranked:
            if weight < floor or exact >= limit:
                break
            roster_forms = names[entry_id]
            match = typed.best_match(roster_forms, loose=True)
            if match is not None:
                exact += match[0] == 1.0
                # Among equal scores, the closer spelling first ("Christy" -> Christine before Tina).
                found.append((-match[0], -typed.similarity(roster_forms), entry_id, match[1]))
        found.sort()
        return [Candidate(entry_id, -score, reason) for score, _, entry_id, reason in found[:limit]]

    def name_frequency(self, full_name: str) -> int:
        """How many roster entries have this normalised name (any order, spacing or script), for moderators.

        The entries indexed under every key of one of the name's segmentations, checked to be the same name.
        """
        return self._frequency(name_forms(full_name))

    def entry_frequency(self, entry_id: int) -> int:
        """`name_frequency` of this entry's name, from the forms the index keeps (not parsed again); 0 for an entry
        it does not hold (a letterless name)."""
        forms = self._names.get(entry_id)
        return self._frequency(forms) if forms is not None else 0

    def _frequency(self, forms: NameForms) -> int:
        if not forms:
            return 0
        same: set[int] = set()
        postings = self._postings
        names = self._names
        typed = Typed(forms)
        for variant in forms.variants:
            single = NameForms(variant, (variant,), forms.initials, forms.script)
            found = [postings.get(key) for key in block_keys(single)]
            blocks = sorted(((ids,) if type(ids) is int else ids for ids in found if ids is not None), key=len)
            if blocks:
                # The entries of the smallest block that are in every other one. While they are a few, each is
                # looked for in a block (a scan in C), rather than all of the block's entries hashed.
                shared = set(blocks[0])
                for ids in blocks[1:]:
                    shared = {i for i in shared if i in ids} if len(shared) < 4 else shared.intersection(ids)
                    if not shared:
                        break
                same.update(i for i in shared if typed.same_name(names[i]))
        return len(same)
