"""Words that say nothing about which happening a post is about.

English function words and social-media filler, plus the commonest function
words of the Latin-script languages that crisis tweets come in (Spanish,
Portuguese, Italian, French, Tagalog): without them two Spanish-language
crises share most of their vocabulary. A Python module, not a data file, so it
ships without package-data entries. Chinese needs no list: IDF down-weights
common character bigrams well enough.
"""

from __future__ import annotations

__all__ = ["STOP_WORDS"]

_WORDS = """
a about above after again against all also am an and any are aren as at be because been
before being below between both but by can cannot could couldn did didn do does doesn doing
don down during each few for from further get gets got had hadn has hasn have haven having
he her here hers herself him himself his how i if in into is isn it its itself just let me
more most mustn my myself no nor not now of off on once only or other ought our ours
ourselves out over own same shan she should shouldn so some such than that the their theirs
them themselves then there these they this those through to too under until up us very was
wasn we were weren what when where which while who whom why will with won would wouldn you
your yours yourself yourselves ll re ve im ive id youre thats theres whats dont cant wont
isnt arent wasnt didnt doesnt via rt amp http https www com co html htm ht mt cc pm am lol
omg like one two new says said say see know think go going gonna get still really much many
even well back way today yesterday tonight day days time u ur r thanks thank please pls via
oh yes yeah ok okay would could may might must shall us retweet tweet news update updates
breaking live video photo photos pic pics watch read story el la los las lo le les un una
unos unas de del al y e o u que en por para con sin sobre entre es son fue ser está están
estan esta este esto estos estas ese esa eso hay se su sus mi mis tu te nos más mas pero
como muy ya también tambien porque cuando donde hasta desde todo todos toda todas otro otra
ni no si sí qué cómo o os as um uma uns umas do da dos das no na nos nas ao aos pelo pela
pelos pelas com em é são foi ser está estão isso isto esse essa ele ela eles elas não mais
muito também il gli lo la le un uno una di del della dei delle degli al alla ai alle nel
nella nei che è e ed per con su tra fra sono ha hanno non più anche questo questa come ma se
ci le la les un une des du de et est sont pour dans sur avec par pas plus qui que ce cette
ces au aux il elle ils elles nous vous ne se sa son ses leur ang ng sa mga na ay at si ni ko
mo ka siya kami tayo sila po
"""

STOP_WORDS: frozenset[str] = frozenset(_WORDS.split())
