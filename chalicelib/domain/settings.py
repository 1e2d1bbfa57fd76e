"""The settings screen and the rule for accepting a change, as pure functions over the policy.

A value is accepted when it is within the band's `self_max`, or no looser than the account's current value (tightening
is always allowed). Otherwise it needs a guardian when within `guardian_max`, and is locked beyond it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from chalicelib.domain.errors import ChangeRefused, InvalidChange, Problem
from chalicelib.domain.models import Account, Change
from chalicelib.policy import BandLimits, Limits, Policy, Rules, SettingRule, SettingValue
from chalicelib.policy.loader import same_value


class OptionStatus(StrEnum):
    ALLOWED = "allowed"
    GUARDIAN_APPROVAL = "guardian_approval"
    LOCKED = "locked"


class ReasonKind(StrEnum):
    """Why an option is not simply allowed, so the app can explain a lock without knowing any rule."""

    AGE = "age"  # the account's age band does not allow it (without a guardian, or at all)
    JURISDICTION = "jurisdiction"  # a law or code where the account lives (an overlay of the policy)
    RESTRICTED = "restricted"  # the account is restricted until its age is confirmed


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    jurisdiction: str | None = None  # with `jurisdiction`: the overlay's country, subdivision or group
    source: str | None = None  # with `jurisdiction`: the law or code and its article


AGE_REASON = Reason(ReasonKind.AGE)
RESTRICTED_REASON = Reason(ReasonKind.RESTRICTED)


@dataclass(frozen=True)
class OptionView:
    value: SettingValue
    status: OptionStatus
    reason: Reason | None = None  # None exactly when the option is allowed


@dataclass(frozen=True)
class SettingView:
    value: SettingValue
    default: SettingValue
    options: tuple[OptionView, ...]


def option_status(
    rule: SettingRule, limits: Limits | BandLimits, current: SettingValue, candidate: SettingValue
) -> OptionStatus:
    rank = rule.rank_of(candidate)
    current_rank = rule.rank(current)
    if rank <= rule.rank_of(limits.self_max) or (current_rank is not None and rank <= current_rank):
        return OptionStatus.ALLOWED
    if rank <= rule.rank_of(limits.guardian_max):
        return OptionStatus.GUARDIAN_APPROVAL
    return OptionStatus.LOCKED


def _reason(
    rule: SettingRule, band: str, limits: Limits, current: SettingValue, option: SettingValue, status: OptionStatus
) -> Reason | None:
    """`age` when the band's global rule alone gives this status; `jurisdiction`, naming the overlay, when an overlay
    made it stricter than that (it lowered `guardian_max` for a lock, `self_max` for a guardian's approval)."""
    if status is OptionStatus.ALLOWED:
        return None
    if option_status(rule, rule.bands[band], current, option) is status:
        return AGE_REASON
    tightening = limits.by.get("guardian_max" if status is OptionStatus.LOCKED else "self_max")
    if tightening is None:  # cannot happen: a stricter status needs a lowered limit
        return AGE_REASON
    return Reason(ReasonKind.JURISDICTION, tightening.jurisdiction, tightening.source)


def account_rules(policy: Policy, account: Account, day: date) -> Rules:
    """The rules where the account lives, on `day`."""
    return policy.rules_in(account.country, account.subdivision or None, day)


def restriction_reason(rules: Rules, account: Account) -> Reason:
    """Why a restricted account is locked: its age, or, when a raised minimum age deactivated it, that jurisdiction's
    law (its source) so the app can say which."""
    deactivation = account.deactivation
    if deactivation is None:
        return RESTRICTED_REASON
    source = rules.minimum_age_source
    return Reason(ReasonKind.RESTRICTED, deactivation.jurisdiction, source.source if source is not None else None)


def setting_view(rules: Rules, name: str, band: str, current: SettingValue) -> SettingView:
    rule, limits = rules.settings[name], rules.limits(name, band)
    options = []
    for option in rule.options:
        status = option_status(rule, limits, current, option)
        options.append(OptionView(option, status, _reason(rule, band, limits, current, option, status)))
    return SettingView(value=current, default=limits.default, options=tuple(options))


def settings_screen(
    rules: Rules,
    band: str,
    values: Mapping[str, SettingValue],
    *,
    restricted: bool = False,
    restricted_reason: Reason = RESTRICTED_REASON,
) -> dict[str, SettingView]:
    """Every catalogue setting with its value, its default where the account lives and the status of each option,
    with the reason for each one not allowed; on a restricted account every option is locked (nothing can be changed
    until its age is confirmed).

    A view depends only on (rules, setting, band, current value), so each is computed once per process and reused.
    """
    screen: dict[str, SettingView] = {}
    for name, rule in rules.settings.items():
        default = rules.limits(name, band).default
        current = values.get(name, default)
        if restricted:
            options = tuple(OptionView(option, OptionStatus.LOCKED, restricted_reason) for option in rule.options)
            screen[name] = SettingView(value=current, default=default, options=options)
            continue
        key = (name, band, type(current).__name__, current)
        try:
            view = rules.views[key]
        except KeyError:
            view = rules.views.setdefault(key, setting_view(rules, name, band, current))
        except TypeError:  # an unhashable stored value: never cached
            view = setting_view(rules, name, band, current)
        screen[name] = view
    return screen


def band_defaults(rules: Rules, band: str) -> dict[str, SettingValue]:
    return {name: rules.limits(name, band).default for name in rules.settings}


def conform(
    rules: Rules, band: str, settings: Mapping[str, SettingValue], *, restricted: bool = False
) -> tuple[dict[str, SettingValue], tuple[Change, ...]]:
    """The one rule every path uses (sign-up, age corrections, birthdays, jurisdiction changes, policy migrations):
    what an account's settings must become under `rules` (a policy where the account lives), `band` and a
    restriction, and each change that makes.

    A value looser than the `self_max` there is clamped down to it, even one a guardian approved (the approval was
    for another band, place or policy: a guardian may approve it again); a value the policy no longer offers, or a
    setting the account lacks, takes the default there; a restricted account gets every setting at its strictest.
    Nothing is ever loosened: each value the rule keeps is the one the account had. Settings the policy no longer
    has are kept as they are (never shown, never applied).
    """
    conformed = dict(settings)
    changes: list[Change] = []
    for name, rule in rules.settings.items():
        limits = rules.limits(name, band)
        was = settings.get(name)
        rank = None if name not in settings else rule.rank(was)
        if restricted:
            value = rule.options[0]
        elif rank is None:
            value = limits.default
        elif rank > rule.rank_of(limits.self_max):
            value = limits.self_max
        else:
            value = settings[name]
        if name not in settings or not same_value(was, value):
            changes.append(Change(setting=name, from_value=was, to_value=value))
        conformed[name] = value
    return conformed, tuple(changes)


_REFUSALS = {
    OptionStatus.GUARDIAN_APPROVAL: ("guardian_approval_required", "needs a guardian's approval for this age"),
    OptionStatus.LOCKED: ("locked", "is not available at this age"),
}


def decide_changes(
    rules: Rules, band: str, current: Mapping[str, SettingValue], requested: Mapping[str, SettingValue]
) -> tuple[Change, ...]:
    """The changes to apply, all or nothing: raises when any requested value is invalid or not allowed.

    Values equal to the current ones are not changes. Invalid input (422) is reported before refusals (403), each
    with one problem per setting.
    """
    invalid: list[Problem] = []
    refused: list[Problem] = []
    changes: list[Change] = []
    for name, value in requested.items():
        rule = rules.settings.get(name)
        if rule is None:
            invalid.append(Problem(setting=name, code="unknown_setting", message=f"{name} is not a setting"))
            continue
        if rule.rank(value) is None:
            options = ", ".join(_json_text(option) for option in rule.options)
            invalid.append(Problem(setting=name, code="invalid_value", message=f"must be one of {options}"))
            continue
        limits = rules.limits(name, band)
        was = current.get(name, limits.default)
        if same_value(was, value):
            continue
        status = option_status(rule, limits, was, value)
        if status is not OptionStatus.ALLOWED:
            code, reason = _REFUSALS[status]
            refused.append(Problem(setting=name, code=code, message=f"{_json_text(value)} {reason}"))
            continue
        changes.append(Change(setting=name, from_value=was, to_value=value))
    if invalid:
        raise InvalidChange("some settings or values are not valid", tuple(invalid))
    if refused:
        raise ChangeRefused("some changes are not allowed for this account", tuple(refused))
    return tuple(changes)


def _json_text(value: SettingValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f'"{value}"'
