"""Alert levels I-IV (red, orange, yellow, blue) from a rule's level and the heat.

The rule sets the least severe level it can raise; heat can only make an alert
more severe, never less. Lower numbers are more severe, as in the Chinese
four-level scheme (I 特别重大 red … IV 一般 blue).
"""

from __future__ import annotations

from groundswell.alerts.message import LEVEL_COLOURS, LEVEL_NAMES

# Heat (0-100) at or above which an alert is at least this level.
HEAT_LEVELS: tuple[tuple[float, int], ...] = ((80.0, 1), (60.0, 2), (40.0, 3))


def heat_level(heat: float | None) -> int:
    if heat is None:
        return 4
    for floor, level in HEAT_LEVELS:
        if heat >= floor:
            return level
    return 4


def alert_level(rule_level: int, heat: float | None) -> tuple[int, str]:
    """The level and a sentence saying why, for the alert's reason."""
    by_heat = heat_level(heat)
    level = min(rule_level, by_heat)
    name = f"level {LEVEL_NAMES[level]} ({LEVEL_COLOURS[level]})"
    if heat is None or by_heat >= rule_level:
        return level, f"{name}: the rule's level"
    floor, base = _floor(by_heat), LEVEL_NAMES[rule_level]
    return level, f"{name}: heat {heat:.0f} ≥ {floor:.0f} raises it above the rule's {base}"


def _floor(level: int) -> float:
    return next(floor for floor, lvl in HEAT_LEVELS if lvl == level)


def check_level(level: int) -> int:
    if level not in LEVEL_NAMES:
        raise ValueError(f"level must be 1 (I) to 4 (IV), got {level}")
    return level


ZH_LEVEL_NAMES = {1: "I级（红色）", 2: "II级（橙色）", 3: "III级（黄色）", 4: "IV级（蓝色）"}


def alert_level_zh(rule_level: int, heat: float | None) -> str:
    """The sentence of `alert_level` in Chinese, for zh messages and screens."""
    by_heat = heat_level(heat)
    level = min(rule_level, by_heat)
    if heat is None or by_heat >= rule_level:
        return f"{ZH_LEVEL_NAMES[level]}：按规则级别"
    return (
        f"{ZH_LEVEL_NAMES[level]}：热度 {heat:.0f} ≥ {_floor(by_heat):.0f}，"
        f"高于规则的 {LEVEL_NAMES[rule_level]} 级"
    )
