"""Loads a policy version (`versions/<version>.json`) and checks it is coherent before any request uses it.

Every version ever served stays in `versions/`, one reviewed file each, named by its `version`; the newest is in force
unless a composition pins another (`POLICY_VERSION`). A policy that fails these checks never serves: a default looser
than what the account holder may choose, a band with a missing setting, overlapping age bands, or a file whose name is
not its version are errors at load time, not surprises in production.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SettingValue = str | bool | int | None


def same_value(a: SettingValue, b: SettingValue) -> bool:
    """JSON equality: `true` is not `1`, `60` is not `"60"`."""
    return type(a) is type(b) and a == b


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class BandLimits(_Frozen):
    default: SettingValue
    self_max: SettingValue
    guardian_max: SettingValue


class SettingRule(_Frozen):
    description: str
    options: tuple[SettingValue, ...] = Field(min_length=1)
    bands: dict[str, BandLimits]

    @cached_property
    def _ranks(self) -> dict[tuple[str, SettingValue], int]:
        # Keyed by type too, so `true` never matches `1` (JSON equality, not Python's).
        return {(type(option).__name__, option): position for position, option in enumerate(self.options)}

    def rank(self, value: object) -> int | None:
        """Position in the options list (0 is the strictest), or None when the value is not an option."""
        try:
            return self._ranks.get((type(value).__name__, value))  # type: ignore[arg-type]
        except TypeError:  # unhashable JSON (a list or an object) is never an option
            return None

    def rank_of(self, value: SettingValue) -> int:
        rank = self.rank(value)
        if rank is None:
            raise ValueError(f"{value!r} is not an option")
        return rank

    @model_validator(mode="after")
    def _limits_are_ordered(self) -> SettingRule:
        if len({json.dumps(option) for option in self.options}) != len(self.options):
            raise ValueError("options repeat")
        for band, limits in self.bands.items():
            ranks = [self.rank(limits.default), self.rank(limits.self_max), self.rank(limits.guardian_max)]
            if any(rank is None for rank in ranks):
                raise ValueError(f"band {band}: default, self_max and guardian_max must be options")
            default, self_max, guardian_max = (rank for rank in ranks if rank is not None)
            if not default <= self_max <= guardian_max:
                raise ValueError(f"band {band}: needs default <= self_max <= guardian_max (strictest first)")
        return self


class AgeBand(_Frozen):
    name: str
    min_age: int = Field(ge=0)
    max_age: int | None = None


class CountryAges(_Frozen):
    default: int = Field(ge=0)
    by_country: dict[str, int]

    def for_country(self, country: str) -> int:
        return self.by_country.get(country, self.default)


class Deactivation(_Frozen):
    """What an account below a raised minimum age gets before it is restricted."""

    notice_days: int = Field(default=14, ge=1)
    offer_data_download: bool = True
    source: str = ""


class AgeRules(_Frozen):
    bands: tuple[AgeBand, ...] = Field(min_length=1)
    minimum_age: CountryAges
    consent_age: CountryAges
    max_age_years: int = Field(gt=0)
    deactivation: Deactivation = Deactivation()

    @model_validator(mode="after")
    def _bands_are_contiguous(self) -> AgeRules:
        for lower, upper in zip(self.bands, self.bands[1:], strict=False):
            if lower.max_age is None or lower.max_age + 1 != upper.min_age:
                raise ValueError(f"age bands {lower.name} and {upper.name} must be contiguous")
        if self.bands[-1].max_age is not None:
            raise ValueError("the last age band must be open-ended")
        youngest = self.bands[0].min_age
        if min([self.minimum_age.default, *self.minimum_age.by_country.values()]) < youngest:
            raise ValueError(f"no minimum age may be below the youngest band ({youngest})")
        return self


class ReportRules(_Frozen):
    reasons: tuple[str, ...] = Field(min_length=1)
    target_types: tuple[str, ...] = Field(min_length=1)
    urgent_reasons: frozenset[str]
    high_when_reporter_is_minor: frozenset[str]
    rate_limit_per_hour: int = Field(gt=0)
    duplicate_window_hours: int = Field(gt=0)
    retention_days_after_decision: int = Field(gt=0)
    unfounded_flag_threshold: int = Field(gt=0)
    unfounded_window_days: int = Field(gt=0)
    mute_max_hours: int = Field(gt=0)
    # DSA Art. 20(1): appeals stay open at least six months after the decision (184 days covers every six months).
    appeal_window_days: int = Field(ge=184)
    appeal_explanation_max: int = Field(gt=0, le=5000)

    @model_validator(mode="after")
    def _retention_outlasts_appeals(self) -> ReportRules:
        if self.retention_days_after_decision <= self.appeal_window_days:
            raise ValueError("reports must be kept longer than an appeal can be made")
        return self

    @model_validator(mode="after")
    def _reason_lists_name_reasons(self) -> ReportRules:
        unknown = (self.urgent_reasons | self.high_when_reporter_is_minor) - set(self.reasons)
        if unknown:
            raise ValueError(f"unknown report reasons: {sorted(unknown)}")
        return self


STATEMENT_SCHEMA = "transparency-statement.schema.json"


@cache
def statement_schema() -> dict[str, Any]:
    """The transparency database's statement-of-reasons schema (JSON Schema), the one place its enums are written."""
    text = resources.files("chalicelib.moderation").joinpath(STATEMENT_SCHEMA).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def statement_enum(name: str) -> frozenset[str]:
    """The values the schema allows for one of its `$defs` enums (`category`, `content_type`, `keyword`, ...)."""
    return frozenset(statement_schema()["$defs"][name]["enum"])


class StatementRestriction(_Frozen):
    """The decision fields one moderation action produces; all empty when the action restricts nothing."""

    decision_visibility: tuple[str, ...] = ()
    decision_monetary: str | None = None
    decision_provision: str | None = None
    decision_account: str | None = None

    @property
    def restricts(self) -> bool:
        return bool(
            self.decision_visibility or self.decision_monetary or self.decision_provision or self.decision_account
        )

    def fields(self) -> dict[str, str | list[str]]:
        """The non-empty decision fields, as the statement carries them."""
        found: dict[str, str | list[str]] = {}
        if self.decision_visibility:
            found["decision_visibility"] = list(self.decision_visibility)
        for name in ("decision_monetary", "decision_provision", "decision_account"):
            if (value := getattr(self, name)) is not None:
                found[name] = value
        return found


class StatementContentType(_Frozen):
    content_type: tuple[str, ...] = Field(min_length=1)
    content_type_other: str | None = Field(default=None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _other_is_named(self) -> StatementContentType:
        if ("CONTENT_TYPE_OTHER" in self.content_type) != (self.content_type_other is not None):
            raise ValueError("content_type_other is needed with CONTENT_TYPE_OTHER, and only then")
        return self


class TransparencyRules(_Frozen):
    """How our reasons, actions and targets read in the transparency database (DSA Art. 24(5))."""

    notes: tuple[str, ...]
    categories: tuple[tuple[str, str], ...] = Field(min_length=1)
    actions: dict[str, StatementRestriction]
    content_types: dict[str, StatementContentType]
    category_specifications: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _values_are_in_the_schema(self) -> TransparencyRules:
        reasons = [reason for reason, _ in self.categories]
        if len(set(reasons)) != len(reasons):
            raise ValueError("transparency.categories names a reason twice")
        _check_enum("category", {category for _, category in self.categories})
        _check_enum("keyword", {keyword for keywords in self.category_specifications.values() for keyword in keywords})
        _check_enum("content_type", {kind for rule in self.content_types.values() for kind in rule.content_type})
        for name in ("decision_visibility", "decision_monetary", "decision_provision", "decision_account"):
            values = {value for rule in self.actions.values() for value in _as_tuple(getattr(rule, name))}
            _check_enum(name, values)
        return self

    def category(self, reason: str) -> str:
        return next(category for listed, category in self.categories if listed == reason)

    def severity(self, reason: str) -> int:
        """Position in `categories` (0 is the most severe)."""
        return next(position for position, (listed, _) in enumerate(self.categories) if listed == reason)


def _as_tuple(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


def _check_enum(name: str, values: set[str]) -> None:
    unknown = values - statement_enum(name)
    if unknown:
        raise ValueError(f"transparency: not in the schema's {name} enum: {sorted(unknown)}")


LIMIT_FIELDS = ("default", "self_max", "guardian_max")
_SUBDIVISION = re.compile(r"([A-Z]{2})-[A-Z0-9]{1,3}")


class LimitOverride(_Frozen):
    """What an overlay lowers for one setting in one band: any of the three limits, each no looser than the global
    rule's (a field left out keeps the global value)."""

    default: SettingValue = None
    self_max: SettingValue = None
    guardian_max: SettingValue = None

    def given(self) -> dict[str, SettingValue]:
        return {name: getattr(self, name) for name in LIMIT_FIELDS if name in self.model_fields_set}


class Overlay(_Frozen):
    """A jurisdiction's rules on top of the global ones. It can only tighten: the loader refuses anything looser."""

    jurisdiction: str = Field(description="ISO 3166-1 country (GB), ISO 3166-2 subdivision (US-NY) or a named group")
    source: str = Field(min_length=1, max_length=120, description="The law or code and its article, as a lock cites it")
    summary: str = Field(default="", description="What it requires, for a reviewer of this file")
    effective_from: date | None = None
    pending: bool = False  # shown in the policy but not applied (its effective date is not fixed)
    minimum_age: int | None = Field(default=None, ge=0)
    settings: dict[str, dict[str, LimitOverride]] = Field(default_factory=dict)  # setting -> band -> limits

    @model_validator(mode="after")
    def _dated_unless_pending(self) -> Overlay:
        if self.effective_from is None and not self.pending:
            raise ValueError(f"overlay {self.jurisdiction}: effective_from is required unless it is pending")
        return self

    def applies_on(self, day: date) -> bool:
        return not self.pending and self.effective_from is not None and self.effective_from <= day


class GuardianRules(_Frozen):
    """Who may pair as a guardian, and how many links each side may hold. Versions without the section get these
    defaults (the values TikTok's Family Pairing and the issue set)."""

    min_assurance: Literal["self_declared", "guardian_declared", "estimated", "verified"] = "self_declared"
    max_guardians_per_teen: int = Field(default=2, ge=1, le=4)
    max_teens_per_guardian: int = Field(default=10, ge=1, le=50)


class Policy(_Frozen):
    version: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}(\.\d+)?$")
    title: str
    notes: tuple[str, ...]
    age: AgeRules
    settings: dict[str, SettingRule]
    reports: ReportRules
    transparency: TransparencyRules
    countries: frozenset[str]
    jurisdiction_groups: dict[str, frozenset[str]] = Field(default_factory=dict)  # e.g. EU: the member states
    overlays: tuple[Overlay, ...] = ()
    guardians: GuardianRules = GuardianRules()

    @model_validator(mode="after")
    def _overlays_only_tighten(self) -> Policy:
        for group, members in self.jurisdiction_groups.items():
            if group in self.countries or not members <= self.countries:
                raise ValueError(f"jurisdiction group {group}: a new name whose members are all known countries")
        for overlay in self.overlays:
            where = overlay.jurisdiction
            country = where.split("-")[0] if _SUBDIVISION.fullmatch(where) else where
            if country not in self.countries and where not in self.jurisdiction_groups:
                raise ValueError(f"overlay {where}: not a known country, subdivision of one, or jurisdiction group")
            if country != where and not is_subdivision_of(country, where):
                raise ValueError(f"overlay {where}: not an ISO 3166-2 subdivision of {country}")
            covered = self.jurisdiction_groups.get(where, frozenset({country}))
            lowest = min(self.age.minimum_age.for_country(member) for member in covered)
            if overlay.minimum_age is not None and overlay.minimum_age < lowest:
                raise ValueError(f"overlay {where}: minimum_age may only be raised (it is {lowest} there)")
            for name, bands in overlay.settings.items():
                rule = self.settings.get(name)
                if rule is None:
                    raise ValueError(f"overlay {where}: unknown setting {name}")
                for band, override in bands.items():
                    _check_tightens(where, name, rule, band, override)
        return self

    @model_validator(mode="after")
    def _every_setting_covers_every_band(self) -> Policy:
        band_names = {band.name for band in self.age.bands}
        for name, rule in self.settings.items():
            if set(rule.bands) != band_names:
                raise ValueError(f"setting {name} must define exactly the bands {sorted(band_names)}")
        unknown = (set(self.age.minimum_age.by_country) | set(self.age.consent_age.by_country)) - self.countries
        if unknown:
            raise ValueError(f"unknown countries in age rules: {sorted(unknown)}")
        return self

    @model_validator(mode="after")
    def _transparency_maps_every_reason_and_target(self) -> Policy:
        rules, reasons = self.transparency, set(self.reports.reasons)
        mapped = {reason for reason, _ in rules.categories}
        if mapped != reasons:
            raise ValueError(f"transparency.categories must map exactly the report reasons {sorted(reasons)}")
        if set(rules.content_types) != set(self.reports.target_types):
            raise ValueError(
                f"transparency.content_types must map exactly the target types {self.reports.target_types}"
            )
        if unknown := set(rules.category_specifications) - reasons:
            raise ValueError(f"transparency.category_specifications: unknown report reasons {sorted(unknown)}")
        return self

    def overlays_for(self, country: str, subdivision: str | None, day: date) -> tuple[Overlay, ...]:
        """The overlays in force on `day` where an account lives: its country's, its subdivision's (a subdivision
        inherits its country's) and every group's its country belongs to. Pending ones never apply."""
        covering = {country, *([subdivision] if subdivision else [])}
        covering |= {group for group, members in self.jurisdiction_groups.items() if country in members}
        return tuple(o for o in self.overlays if o.jurisdiction in covering and o.applies_on(day))

    @cached_property
    def _rules(self) -> dict[tuple[str, tuple[int, ...]], Rules]:
        return {}

    def rules_in(self, country: str, subdivision: str | None, day: date) -> Rules:
        """The rules for an account living in `country` (and `subdivision`) on `day`: the global rules with every
        overlay in force there applied. One object per distinct outcome, kept for the process."""
        overlays = self.overlays_for(country, subdivision, day)
        key = (country, tuple(self.overlays.index(overlay) for overlay in overlays))
        rules = self._rules.get(key)
        if rules is None:
            rules = self._rules.setdefault(key, Rules(self, country, overlays))
        return rules

    @cached_property
    def global_rules(self) -> Rules:
        """The band rules with no overlay applied (and the default minimum age)."""
        return Rules(self, "", ())

    def limits_in(self, country: str, subdivision: str | None, day: date) -> dict[str, dict[str, BandLimits]]:
        """Per setting and band, the global limits with every overlay in force there applied (strictest wins)."""
        rules = self.rules_in(country, subdivision, day)
        return {
            name: {band: rules.limits(name, band).band_limits for band in rule.bands}
            for name, rule in self.settings.items()
        }

    def minimum_age_in(self, country: str, subdivision: str | None, day: date) -> int:
        """The country's minimum age, raised by any overlay in force there."""
        return self.rules_in(country, subdivision, day).minimum_age

    def band(self, name: str) -> AgeBand:
        return next(band for band in self.age.bands if band.name == name)

    def is_minor_band(self, name: str) -> bool:
        """True for every band that ends before adulthood (18)."""
        band = self.band(name)
        return band.max_age is not None and band.max_age < 18


@dataclass(frozen=True)
class Tightening:
    """Which overlay set a limit: where it applies and the law or code it cites."""

    jurisdiction: str
    source: str


@dataclass(frozen=True)
class Limits:
    """One setting's limits in one band where an account lives, and which overlay tightened each (absent: the
    global rule's)."""

    default: SettingValue
    self_max: SettingValue
    guardian_max: SettingValue
    by: dict[str, Tightening] = field(default_factory=dict)

    @property
    def band_limits(self) -> BandLimits:
        return BandLimits(default=self.default, self_max=self.self_max, guardian_max=self.guardian_max)


class Rules:
    """The policy as it applies to accounts in one place on one day: the global band rules with every overlay in
    force there applied (strictest wins; on a tie the first overlay listed is named), and the minimum age."""

    def __init__(self, policy: Policy, country: str, overlays: tuple[Overlay, ...]) -> None:
        self.policy = policy
        self.overlays = overlays
        self.minimum_age = max(
            [policy.age.minimum_age.for_country(country)]
            + [overlay.minimum_age for overlay in overlays if overlay.minimum_age is not None]
        )
        self.minimum_age_source = next(
            (o for o in overlays if o.minimum_age is not None and o.minimum_age == self.minimum_age), None
        )
        self._limits: dict[tuple[str, str], Limits] = {}
        self.views: dict[tuple[str, str, str, SettingValue], Any] = {}  # filled by chalicelib.domain.settings

    @property
    def settings(self) -> dict[str, SettingRule]:
        return self.policy.settings

    @property
    def version(self) -> str:
        return self.policy.version

    def limits(self, name: str, band: str) -> Limits:
        found = self._limits.get((name, band))
        if found is None:
            found = self._limits.setdefault((name, band), self._compute(name, band))
        return found

    def _compute(self, name: str, band: str) -> Limits:
        rule = self.policy.settings[name]
        base = rule.bands[band]
        values = {field_name: getattr(base, field_name) for field_name in LIMIT_FIELDS}
        by: dict[str, Tightening] = {}
        for overlay in self.overlays:
            for field_name, value in overlay.settings.get(name, {}).get(band, LimitOverride()).given().items():
                if rule.rank_of(value) < rule.rank_of(values[field_name]):
                    values[field_name] = value
                    by[field_name] = Tightening(overlay.jurisdiction, overlay.source)
        return Limits(values["default"], values["self_max"], values["guardian_max"], by)


@cache
def _subdivisions() -> dict[str, frozenset[str]]:
    text = resources.files("chalicelib.policy").joinpath("subdivisions.json").read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    return {country: frozenset(codes) for country, codes in raw.items() if not country.startswith("_")}


def is_subdivision_of(country: str, code: str) -> bool:
    """Whether `code` is an ISO 3166-2 subdivision code of `country` (`US-NY` of `US`)."""
    return code in _subdivisions().get(country, frozenset())


VERSION_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}(\.\d+)?")


class UnknownPolicyVersion(LookupError):
    """No kept policy file has this version."""


def _version_order(version: str) -> tuple[str, int]:
    day, _, revision = version.partition(".")
    return day, int(revision or 0)


@cache
def kept_versions() -> tuple[str, ...]:
    """Every version kept in `versions/`, oldest first (`2026-11-25` < `2026-11-25.1` < `2026-12-01`)."""
    folder = resources.files("chalicelib.policy").joinpath("versions")
    names = [entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json")]
    return tuple(sorted((name for name in names if VERSION_PATTERN.fullmatch(name)), key=_version_order))


def newest_version() -> str:
    return kept_versions()[-1]


def _check_tightens(where: str, name: str, rule: SettingRule, band: str, override: LimitOverride) -> None:
    base = rule.bands.get(band)
    if base is None:
        raise ValueError(f"overlay {where}: {name} has no band {band}")
    given = override.given()
    if not given:
        raise ValueError(f"overlay {where}: {name} {band} lowers nothing")
    merged: dict[str, int] = {}
    for field_name in LIMIT_FIELDS:
        base_rank = rule.rank_of(getattr(base, field_name))
        if field_name not in given:
            merged[field_name] = base_rank
            continue
        rank = rule.rank(given[field_name])
        if rank is None:
            raise ValueError(f"overlay {where}: {name} {band} {field_name} {given[field_name]!r} is not an option")
        if rank > base_rank:
            raise ValueError(f"overlay {where}: {name} {band} {field_name} would loosen the global rule")
        merged[field_name] = rank
    if not merged["default"] <= merged["self_max"] <= merged["guardian_max"]:
        raise ValueError(f"overlay {where}: {name} {band} leaves default <= self_max <= guardian_max out of order")


def _policy_text(version: str) -> str:
    if version not in kept_versions():
        raise UnknownPolicyVersion(version)
    path = resources.files("chalicelib.policy").joinpath("versions", f"{version}.json")
    return path.read_text(encoding="utf-8")


@cache
def load_policy(version: str | None = None) -> Policy:
    """A kept version (the newest by default), parsed and checked once per process; `UnknownPolicyVersion` else."""
    version = version or newest_version()
    raw: dict[str, Any] = json.loads(_policy_text(version))
    policy = Policy.model_validate(raw, strict=False)
    if policy.version != version:
        raise ValueError(f"versions/{version}.json holds version {policy.version!r}: a file is named by its version")
    return policy


@cache
def policy_document(version: str | None = None) -> dict[str, Any]:
    """A kept version's file as published (the reviewed text, not a re-serialisation); the newest by default."""
    document: dict[str, Any] = json.loads(_policy_text(version or newest_version()))
    return document
