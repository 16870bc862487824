"""The catalogues: every message the UI uses has a Chinese translation; languages negotiate."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from groundswell.web.i18n import catalogue_path, negotiate, normalise_locale, translations

ROOT = Path(__file__).parents[3]
METHODS = [
    ("groundswell/web/ui/**.py", "python"),
    ("groundswell/web/templates/**.html", "jinja2"),
]


def used_msgids() -> set[str]:
    found = extract_from_dir(str(ROOT), METHODS, keywords={"_": None, "gettext": None, "N_": None})
    return {message for _file, _line, message, _comments, _context in found if message}


def test_every_message_used_has_a_chinese_translation() -> None:
    used = used_msgids()
    assert len(used) > 80  # the extraction really read the templates
    with catalogue_path("zh_CN").open("rb") as handle:
        catalogue = read_po(handle, locale="zh_CN")
    missing = sorted(m for m in used if not (catalogue.get(m) and catalogue.get(m).string))
    assert missing == [], "run scripts/update_catalogues.sh and translate these"
    fuzzy = sorted(m.id for m in catalogue if m.id and m.fuzzy)
    assert fuzzy == []


def test_catalogues_load_and_translate() -> None:
    assert translations("zh_CN").gettext("Dashboard") == "总览"
    assert translations("en").gettext("Dashboard") == "Dashboard"
    assert translations("fr").gettext("Dashboard") == "Dashboard"
    zh = translations("zh_CN").gettext(
        "Too many failed sign-ins. Try again in %(seconds)s seconds."
    )
    assert "%(seconds)s" in zh


def test_browser_languages_pick_the_locale() -> None:
    assert negotiate("en-GB,en;q=0.9,zh-CN;q=0.8") == "en"
    assert negotiate("zh-TW,zh;q=0.9,en;q=0.5") == "zh_CN"
    assert negotiate("fr-FR, de;q=0.9") == "zh_CN"  # the desk's default
    assert negotiate("fr, en;q=0.2, zh;q=0.1") == "en"
    assert negotiate("zh;q=0, en") == "en"
    assert negotiate(None) == "zh_CN"
    assert normalise_locale("zh-CN") == normalise_locale("zh_Hans") == "zh_CN"
    assert normalise_locale("de") is None
