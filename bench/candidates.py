"""Benchmark of verification.candidates: index build time and memory, claim latency, recall and false-hit rate.

Standalone (no database, no Django): generates a multilingual roster with faker, then probes it with members'
names typed the ways people type them, and with non-members' names.

    .venv/bin/python bench/candidates.py                     # 100,000 entries, 4,000 member probes
    .venv/bin/python bench/candidates.py --roster 20000 --probes 1000 --seed 7

Transliterations are produced here independently of anyascii (which the index uses) wherever that is possible:
Russian with mixed English/German/French/passport conventions, Arabic and Hindi with vowels written in, Japanese
from faker's own romaji. Chinese probes use the standard pinyin of each character (anyascii gives the same), so
they test ordering and spacing rather than transliteration itself.
"""

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from faker import Faker
from nicknames import NickNamer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from romanise import HI_CONSONANTS, HI_SIGNS, HI_VOWELS, RU  # noqa: E402  (bench/ is the script's folder)

from verification.candidates import (  # noqa: E402
    CandidateIndex,
    best_match,
    compare,
    compatible,
    greek,
    japanese,
    korean,
    name_forms,
    words,
)
from verification.candidates import nameforms as forms  # noqa: E402

# Share of the roster per locale.
LOCALES = {
    "en_US": 0.22,
    "fr_FR": 0.1,
    "es_ES": 0.1,
    "ru_RU": 0.14,
    "zh_CN": 0.14,
    "ja_JP": 0.08,
    "ar_AA": 0.12,
    "hi_IN": 0.1,
}
LATIN = {"en_US", "fr_FR", "es_ES"}
LIMIT = 5  # candidates asked for per claim, as verification does
PATRONYMIC = ("вич", "вна", "чна", "ична", "ьич")

AR = {
    "ا": "a",
    "أ": "a",
    "إ": "i",
    "آ": "a",
    "ب": "b",
    "ت": "t",
    "ث": "th",
    "ج": "j",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "dh",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "ع": "",
    "غ": "gh",
    "ف": "f",
    "ق": "q",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "و": "w",
    "ي": "y",
    "ى": "a",
    "ة": "a",
    "ء": "",
    "ؤ": "",
    "ئ": "",
}


def translit_ru(name: str, rng: random.Random) -> str:
    words = name.split()
    if len(words) == 3 and rng.random() < 0.7:  # the patronymic is usually left out in Latin
        words = [w for w in words if not w.endswith(PATRONYMIC)] or words
    out = []
    for word in words:
        latin = "".join(rng.choice(RU.get(c.lower(), [c])) for c in word)
        latin = latin.replace("iy", rng.choice(["iy", "y", "ii", "i"])) if latin.endswith("iy") else latin
        if rng.random() < 0.3:
            latin = latin.replace("ks", "x")
        out.append(latin.capitalize())
    return " ".join(out)


def translit_ar(name: str, rng: random.Random) -> str:
    out = []
    for word in name.split():
        prefix = ""
        if word.startswith("ال") and len(word) > 2:
            prefix, word = rng.choice(["al-", "el-", "al ", "Al-"]), word[2:]
        letters = [AR.get(c, "") for c in word if c not in "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"]
        latin = ""
        for i, piece in enumerate(letters):
            latin += piece
            nxt = letters[i + 1] if i + 1 < len(letters) else ""
            if piece and piece not in "aiu" and nxt and nxt[0] not in "aiuwy" and rng.random() < 0.7:
                latin += rng.choice("aaeiou")  # short vowels are not written in Arabic; people write them in
        latin = latin.replace("w", rng.choice(["w", "ou", "u", "o"]))
        out.append(prefix + latin.capitalize())
    return " ".join(out)


def translit_hi(name: str) -> str:
    out = []
    for word in name.split():
        latin, pending = "", False
        for c in word:
            if c in HI_CONSONANTS:
                latin += ("a" if pending else "") + HI_CONSONANTS[c]
                pending = True
            elif c in HI_SIGNS:
                latin += HI_SIGNS[c]
                pending = False
            elif c == "्":
                pending = False
            elif c in HI_VOWELS:
                latin += ("a" if pending else "") + HI_VOWELS[c]
                pending = False
            elif c in "ंँ":
                latin += ("a" if pending else "") + "n"
                pending = False
        out.append(latin.capitalize())  # the final inherent vowel is not pronounced (Sharma, not Sharmaa)
    return " ".join(out)


def typo(word: str, rng: random.Random) -> str:
    """One slip anywhere in the word, the first letter included: a letter changed, added, dropped or swapped."""
    i = rng.randrange(len(word))
    kind = rng.choice(["sub", "ins", "del", "swap"])
    letter = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != word[i].lower()])
    if i == 0:
        letter = letter.upper()
    if kind == "sub":
        return word[:i] + letter + word[i + 1 :]
    if kind == "ins":
        return word[:i] + letter + word[i:]
    if kind == "del":
        return word[:i] + word[i + 1 :]
    j = i + 1 if i + 1 < len(word) else i - 1
    first, second = sorted((i, j))
    return word[:first] + word[second] + word[first] + word[second + 1 :]


class Person:
    def __init__(self, locale: str, given: str, family: str, roman: str = "", spaced: bool = True) -> None:
        self.locale, self.given, self.family, self.roman, self.spaced = locale, given, family, roman, spaced
        self.cjk = locale in ("zh_CN", "ja_JP")

    @property
    def roster_name(self) -> str:
        if self.cjk:
            return self.family + (" " if self.spaced else "") + self.given
        return f"{self.given} {self.family}"


def make_person(fake: Faker, locale: str) -> Person:
    if locale == "ja_JP":
        family, given = fake.last_name_pair(), fake.first_name_pair()
        return Person(locale, given[0], family[0], f"{given[2]} {family[2]}", fake.random.random() < 0.5)
    if locale == "zh_CN":  # Chinese rosters mostly write names unspaced
        return Person(locale, fake.first_name(), fake.last_name(), spaced=fake.random.random() < 0.2)
    if locale == "ru_RU":
        name = fake.name_female() if fake.random.random() < 0.5 else fake.name_male()
        words = name.split()
        if len(words) == 3 and words[2].endswith(PATRONYMIC):
            words = [words[1], words[2], words[0]]  # "Family Given Patronymic" -> "Given Patronymic Family"
        return Person(locale, " ".join(words[:-1]), words[-1])
    return Person(locale, fake.first_name(), fake.last_name())


def roster(size: int, seed: int) -> list[Person]:
    people = []
    for locale, share in LOCALES.items():
        fake = Faker(locale)
        fake.seed_instance(seed + len(locale) + int(share * 1000))
        people += [make_person(fake, locale) for _ in range(int(size * share))]
    while len(people) < size:
        people.append(make_person(Faker("en_US"), "en_US"))
    random.Random(seed).shuffle(people)
    return people


def probes(people: list[Person], count: int, rng: random.Random) -> dict[str, list[tuple[int, str]]]:
    """Member probes by case: (entry index, typed name)."""
    nn = NickNamer()
    cases: dict[str, list[tuple[int, str]]] = {
        k: []
        for k in (
            "exact",
            "transliteration ru",
            "transliteration ar",
            "transliteration hi",
            "transliteration zh",
            "transliteration ja (kanji->romaji)",
            "cjk spacing",
            "nickname",
            "initial",
            "order swap",
            "one typo",
        )
    }
    per_case = max(1, count // len(cases))
    order = list(range(len(people)))
    rng.shuffle(order)
    for i in order:
        p = people[i]
        name = p.roster_name
        if len(cases["exact"]) < per_case:
            cases["exact"].append((i, rng.choice([name, name.upper(), name.lower()])))
        if p.locale == "ru_RU" and len(cases["transliteration ru"]) < per_case:
            cases["transliteration ru"].append((i, translit_ru(name, rng)))
        elif p.locale == "ar_AA" and len(cases["transliteration ar"]) < per_case:
            cases["transliteration ar"].append((i, translit_ar(name, rng)))
        elif p.locale == "hi_IN" and len(cases["transliteration hi"]) < per_case:
            cases["transliteration hi"].append((i, translit_hi(name)))
        elif p.locale == "zh_CN" and len(cases["transliteration zh"]) < per_case:
            given = "".join(forms._latin(c) for c in p.given).capitalize()
            family = forms._latin(p.family).capitalize()
            typed = rng.choice([f"{given} {family}", f"{family} {given}", f"{family.upper()} {given}"])
            cases["transliteration zh"].append((i, typed))
        elif p.locale == "ja_JP" and len(cases["transliteration ja (kanji->romaji)"]) < per_case:
            cases["transliteration ja (kanji->romaji)"].append((i, p.roman))
        if p.cjk and len(cases["cjk spacing"]) < per_case:
            cases["cjk spacing"].append((i, p.family + ("" if p.spaced else " ") + p.given))
        if p.locale in LATIN:
            given, family = p.given.split()[0], p.family
            nicks = sorted(nn.nicknames_of(given.lower()))
            if nicks and len(cases["nickname"]) < per_case:
                cases["nickname"].append((i, f"{rng.choice(nicks).capitalize()} {family}"))
            if len(cases["initial"]) < per_case:
                styles = [f"{given[0]}. {family}", f"{given[0]} {family}", f"{family} {given[0]}."]
                cases["initial"].append((i, rng.choice(styles)))
            if len(cases["order swap"]) < per_case:
                cases["order swap"].append((i, rng.choice([f"{family} {p.given}", f"{family}, {p.given}"])))
            parts = name.split()
            longest = max(range(len(parts)), key=lambda k: len(parts[k]))
            if len(parts[longest]) >= 5 and len(cases["one typo"]) < per_case:
                parts[longest] = typo(parts[longest], rng)
                cases["one typo"].append((i, " ".join(parts)))
        if all(len(v) >= per_case for v in cases.values()):
            break
    return cases


def clear_caches() -> None:
    forms._latin.cache_clear()
    forms._chunk.cache_clear()
    words.token_keys.cache_clear()
    words.consonants.cache_clear()
    words._related_names.cache_clear()
    compare.relation.cache_clear()
    compare._bare.cache_clear()
    japanese.readings.cache_clear()  # the Japanese readings of kanji names: the dictionary stays loaded
    japanese._Analyser.romaji.cache_clear()
    japanese.fold.cache_clear()
    greek.to_latin.cache_clear()
    greek.fold.cache_clear()
    korean.fold.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roster", type=int, default=100_000, help="roster entries (100,000)")
    parser.add_argument("--probes", type=int, default=4_000, help="member probes, spread over the cases (4,000)")
    parser.add_argument("--outsiders", type=int, default=2_000, help="non-member probes (2,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    started = time.perf_counter()
    people = roster(args.roster, args.seed)
    entries = [(i, p.roster_name) for i, p in enumerate(people)]
    print(f"roster: {len(entries):,} entries generated in {time.perf_counter() - started:.1f} s")

    clear_caches()
    started, started_cpu = time.perf_counter(), time.process_time()
    index = CandidateIndex(entries)
    print(f"build time: {time.perf_counter() - started:.2f} s ({len(index):,} names indexed)")
    print(f"build CPU time: {time.process_time() - started_cpu:.2f} s")
    print(f"index keys: {len(index._postings):,}")
    clear_caches()
    del index
    tracemalloc.start()
    index = CandidateIndex(entries)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"build memory: {peak / 2**20:.1f} MB peak, {current / 2**20:.1f} MB retained (tracemalloc)")

    def same_name(a: str, b: str) -> bool:
        match = best_match(name_forms(a), name_forms(b))
        return match is not None and match[0] == 1.0

    def hit(target: int, found: list) -> bool:
        # Several entries may share the target's name: any of them is as good a candidate as the target itself.
        name = people[target].roster_name
        return any(c.entry_id == target or same_name(people[c.entry_id].roster_name, name) for c in found)

    def crowded_out(target: int, typed: str, found: list) -> bool:
        # Missed only because `limit` other entries match at least as well ("J. Smith": every J-something Smith).
        own = best_match(name_forms(typed), name_forms(people[target].roster_name), loose=True)
        return own is not None and len(found) == LIMIT and found[-1].score >= own[0]

    wall: list[int] = []
    cpu: list[int] = []

    def timed(name: str) -> list:
        started_cpu, started = time.thread_time_ns(), time.perf_counter_ns()
        found = index.candidates(name, limit=LIMIT)
        wall.append(time.perf_counter_ns() - started)
        cpu.append(time.thread_time_ns() - started_cpu)
        return found

    for case, items in probes(people, args.probes, rng).items():
        results = [(i, typed, timed(typed)) for i, typed in items]
        hits = [hit(i, found) for i, _, found in results]
        ties = [ok or crowded_out(i, typed, found) for ok, (i, typed, found) in zip(hits, results, strict=True)]
        compat = [compatible(typed, people[i].roster_name) for i, typed in items]
        print(
            f"recall {case}: {mean(hits):.1%} of {len(items)} in the top {LIMIT}"
            f" ({mean(ties):.1%} counting ties crowded out; compatible: {mean(compat):.1%})"
        )

    outsiders, with_candidates, skipped = 0, 0, 0
    out_rng = random.Random(args.seed + 99)
    fakes = {locale: Faker(locale) for locale in LOCALES}
    for fake in fakes.values():
        fake.seed_instance(args.seed + 12345)
    per_locale: dict[str, list[bool]] = {}
    while outsiders < args.outsiders:
        locale = out_rng.choice(list(LOCALES))
        person = make_person(fakes[locale], locale)
        if index.name_frequency(person.roster_name):
            skipped += 1  # a namesake is on the roster: a candidate is expected, not a false hit
            continue
        outsiders += 1
        got = bool(timed(person.roster_name))
        with_candidates += got
        per_locale.setdefault(locale, []).append(got)
    print(f"non-members with any candidate: {with_candidates / outsiders:.1%} of {outsiders} ({skipped} namesakes)")
    for locale, got in sorted(per_locale.items()):
        print(f"non-members with any candidate, {locale}: {mean(got):.1%} of {len(got)}")

    for label, times in (("wall", wall), ("CPU", cpu)):
        times.sort()
        print(f"candidates() median latency ({label}): {statistics.median(times) / 1000:.0f} µs over {len(times):,}")
        print(f"candidates() p99 latency ({label}): {times[int(len(times) * 0.99)] / 1000:.0f} µs")


def mean(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


if __name__ == "__main__":
    main()
