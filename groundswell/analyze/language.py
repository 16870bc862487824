"""Language identification for the three classes the desk cares about: zh, en, other.

This runs on every post, so it is a script-based classifier built from a few
compiled regexes (tens of microseconds), not a statistical model:

* Han characters are counted against other letters; Chinese with English words
  mixed in stays "zh".
* Japanese kana or Hangul in quantity means "other" (Japanese also uses Han).
* Latin-script text is "en" only when it looks English: English function words
  outnumber the function words of the common European and a few Asian Latin-
  script languages, and accented letters are rare. Latin text without any
  function word falls back to a letter-statistics check (ASCII only, English-like
  vowel share), which keeps hashtag-only tweets "en" without turning every short
  foreign phrase into English.
"""

from __future__ import annotations

import re

__all__ = ["detect_language"]

# Long texts are decided on their beginning: the answer rarely changes and the
# cost must stay flat.
_SAMPLE_CHARS = 3000

_HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f"
_HAN = re.compile(f"[{_HAN_RANGES}]")
# Hiragana, katakana (and phonetic extensions, half-width katakana), Hangul.
_KANA_HANGUL = re.compile(
    "[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"
)
_ASCII_LETTER = re.compile("[A-Za-z]")
# Latin letters with diacritics (Latin-1 supplement and Latin Extended-A/B).
_ACCENTED = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
# Any letter at all (word chars minus digits and underscore).
_LETTER = re.compile(r"[^\W\d_]")
# Things that carry no language signal in social posts: links, @mentions (hashtags
# keep their words), HTML entities and Weibo's ASCII emoticon codes such as "[good]".
_NOISE = re.compile(r"https?://\S+|www\.\S+|@[A-Za-z0-9_]+|&\w+;|\[[A-Za-z]{1,12}\]")
_WORD = re.compile("[a-z\u00e0-\u00f6\u00f8-\u024f]+")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_EN_WORDS = _word_set(
    """
    the and of to is you that it for with was on are this be have i my at not but what
    all we they your from just so can will do dont get like me he she his her an by or if
    about how when there been has had were would our out up one more no am its im cant
    why who now today going know think want really should could than them their been
    did didnt doesnt isnt wont ive youre thats theres here only after over into some
    any because thank thanks please love good new time day got see let us him which
    very much still never ever again why where these those too off back
    """
)
# Function words of other Latin-script languages, none of them an English word.
_OTHER_WORDS = _word_set(
    """
    le les des du une elle pas sur dans avec qui que ce sont aux nous vous mais ou
    très être été cette ces leur
    los y es en por para una se su más pero como está este esta también muy hay sus
    fue
    der die das und ist nicht mit ein eine zu von auf für sich auch ich sie wir aber
    noch nach wie bei oder nur sind werden wird ihr
    di che sono della gli nel alla anche questo più dei delle
    não uma mais mas foi pelo pela muito isso ele ela são
    het een niet zijn dat voor ook maar wel naar deze hij ik je te heeft wordt werd
    yang dan ini itu untuk dengan tidak ada dari akan juga saya
    ve bu bir ile için da ne çok
    ang ng sa mga ay ko
    och att är som på inte för jag
    """
)
# Left out on purpose because they are also English words or frequent abbreviations in
# English posts: la/las/el (LA, Las Vegas, El Paso), il (IL), de (de-icing), un (UN),
# est/et (time zones), al, com, per, con, non, ha, ya, lo, come, pour, hat, dem, hindi,
# os, med, van.


def detect_language(text: str) -> str:
    """Return "zh", "en" or "other" for a post's text (see the module doc for the rules)."""
    if not text:
        return "other"
    sample = _NOISE.sub(" ", text[:_SAMPLE_CHARS])
    if sample.isascii():
        # Fast path for most English posts: no Han, kana, Hangul or accents possible.
        return _latin_language(sample, accented=0)
    han = len(_HAN.findall(sample))
    kana_hangul = len(_KANA_HANGUL.findall(sample))
    if kana_hangul >= 2 and kana_hangul * 5 >= han + kana_hangul:
        return "other"
    letters = len(_LETTER.findall(sample))
    non_han = letters - han - kana_hangul
    if han and han * 4 >= non_han:
        return "zh"
    latin = len(_ASCII_LETTER.findall(sample))
    accented = len(_ACCENTED.findall(sample))
    # Mostly letters of another script (Cyrillic, Arabic, Thai, ...), or mostly Han/kana.
    if (latin + accented) * 2 < letters:
        return "other"
    return _latin_language(sample, accented=accented)


def _latin_language(sample: str, accented: int) -> str:
    """Decide "en" or "other" for Latin-script text by function words, then letter stats."""
    lowered = sample.lower().replace("'", "").replace("\u2019", "")
    words = _WORD.findall(lowered)
    if not words:
        return "other"
    en = sum(map(_EN_WORDS.__contains__, words))
    other = sum(map(_OTHER_WORDS.__contains__, words))
    if en or other:
        # A French or Spanish text with an English loan word stays "other"; a few
        # accented letters (names, "café") do not stop English.
        letters = sum(map(len, words))
        return "en" if en > other and accented * 20 <= letters else "other"
    return _english_letter_stats(words, accented)


def _english_letter_stats(words: list[str], accented: int) -> str:
    """Fallback for text without function words: ASCII letters with English-like vowels."""
    if accented:
        return "other"
    joined = "".join(words)
    if len(joined) < 3:
        return "other"
    vowels = sum(map(joined.count, "aeiou"))
    share = vowels / len(joined)
    # English runs at ~38% a/e/i/o/u. Short posts ("DM sent", "rude rude") vary a lot,
    # so they get a wide window; longer vowel-rich Romance/Indonesian text and
    # consonant-only abbreviations (pinyin initials such as "nmsl") fall outside.
    low, high = (0.15, 0.6) if len(joined) <= 12 else (0.25, 0.5)
    return "en" if low <= share <= high else "other"
