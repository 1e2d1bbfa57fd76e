"""Property: over random policies (global limits moved, options dropped, settings added or removed, tightening overlays
for GB, US, US-NY, FR and an EU group, in force, not yet in force or pending) and random accounts (any band, country,
subdivision, restriction, with values valid, invalid or missing, on the old version, on a version no longer kept, or
already on the target), a policy migration never loosens a value and leaves every value within what the target allows
where the account lives; a second run changes nothing; every account ends on the target, with exactly one
`policy_migrated` event when it changed (listing exactly what changed) and none when it did not; and a dry run reports
the counts the real run then has."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chalicelib.domain.models import Account, Actor, AgeAssurance, AuditEvent, EventKind
from chalicelib.domain.settings import account_rules, band_defaults, conform
from chalicelib.policy import Policy, SettingValue, UnknownPolicyVersion
from chalicelib.policy.loader import LIMIT_FIELDS
from chalicelib.services.migration import Impact, MigrationDeps, migrated, run_migration, versions_to_migrate
from tests.fakes import FakeSettingsStore

BASE: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "chalicelib" / "policy" / "versions" / "2026-11-25.json").read_text(encoding="utf-8")
)
OLD, TARGET, GONE = "2026-11-25", "2026-12-24", "2026-10-01"  # GONE: a version no longer kept
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
TODAY = NOW.date()
COUNTRIES = ["GB", "US", "FR", "DE"]
EU_CANDIDATES = ["FR", "DE", "IE", "IT"]
JURISDICTIONS = ["GB", "US", "US-NY", "FR", "EU"]
EFFECTIVE: list[date | None] = [date(2025, 3, 17), TODAY, TODAY + timedelta(days=1), date(2027, 6, 1), None]
INVALID: list[Any] = ["bogus", 0, 1, None]  # `0`/`1` are never a boolean option; None is one only where listed
NEW_SETTING = "stranger_reactions"
LEGACY_SETTING = "legacy_setting"  # stored, in no policy: kept as it is
FROM_VERSIONS = versions_to_migrate([GONE, OLD, TARGET], TARGET)
SEED_ACTOR = Actor(id="seed", role="system")

Limit = tuple[int, int, int]  # ranks of default, self_max, guardian_max


def typed(value: object) -> tuple[str, object]:
    """JSON identity: `true` is not `1`."""
    return type(value).__name__, value


def rank_in(options: list[SettingValue], value: SettingValue) -> int:
    return next(i for i, option in enumerate(options) if typed(option) == typed(value))


# -- strategies ------------------------------------------------------------------------------------------------------
@st.composite
def ordered_ranks(draw: st.DrawFn, size: int) -> Limit:
    guardian_max = draw(st.integers(0, size - 1))
    self_max = draw(st.integers(0, guardian_max))
    return draw(st.integers(0, self_max)), self_max, guardian_max


@st.composite
def tightening(draw: st.DrawFn, rule: dict[str, Any], band: str) -> dict[str, SettingValue]:
    """A `LimitOverride` no looser than the global rule, keeping default <= self_max <= guardian_max."""
    options = rule["options"]
    default, self_max, guardian_max = (rank_in(options, rule["bands"][band][name]) for name in LIMIT_FIELDS)
    new_guardian = draw(st.integers(0, guardian_max))
    new_self = draw(st.integers(0, min(self_max, new_guardian)))
    new_default = draw(st.integers(0, min(default, new_self)))
    new = dict(zip(LIMIT_FIELDS, (new_default, new_self, new_guardian), strict=True))
    old = dict(zip(LIMIT_FIELDS, (default, self_max, guardian_max), strict=True))
    fields = {name for name in LIMIT_FIELDS if new[name] != old[name]} | draw(st.sets(st.sampled_from(LIMIT_FIELDS)))
    if not fields:
        fields = {draw(st.sampled_from(LIMIT_FIELDS))}
    return {name: options[new[name]] for name in sorted(fields)}


@st.composite
def policies(draw: st.DrawFn, version: str, *, evolve: bool) -> Policy:
    """The base policy under `version`, with global limits moved (either way), and, when `evolve`, options dropped, a
    setting added or removed; then random tightening overlays, some in force today."""
    raw = copy.deepcopy(BASE)
    raw["version"] = version
    rules: dict[str, Any] = raw["settings"]
    bands = [band["name"] for band in raw["age"]["bands"]]
    for name in draw(st.lists(st.sampled_from(sorted(rules)), unique=True, max_size=4)):
        rule = rules[name]
        options = rule["options"]
        keep = draw(st.integers(1, len(options))) if evolve and draw(st.booleans()) else len(options)
        for band in bands:
            if draw(st.booleans()):
                ranks = draw(ordered_ranks(keep))
            else:  # the global limits, clamped into the options kept (the order survives the clamp)
                ranks = tuple(min(rank_in(options, rule["bands"][band][field]), keep - 1) for field in LIMIT_FIELDS)
            rule["bands"][band] = {field: options[rank] for field, rank in zip(LIMIT_FIELDS, ranks, strict=True)}
        rule["options"] = options[:keep]
    if evolve and draw(st.booleans()):
        options = ["no_one", "friends", "everyone"]
        rules[NEW_SETTING] = {
            "description": "A setting the old policy did not have.",
            "options": options,
            "bands": {
                band: dict(zip(LIMIT_FIELDS, (options[r] for r in draw(ordered_ranks(3))), strict=True))
                for band in bands
            },
        }
    if evolve and draw(st.booleans()):
        del rules[draw(st.sampled_from(sorted(rules)))]
    raw["jurisdiction_groups"] = {"EU": sorted(draw(st.sets(st.sampled_from(EU_CANDIDATES), min_size=1)))}
    overlays = []
    for number in range(draw(st.integers(0, 4))):
        overrides: dict[str, dict[str, dict[str, SettingValue]]] = {}
        for name in draw(st.lists(st.sampled_from(sorted(rules)), unique=True, min_size=1, max_size=3)):
            for band in draw(st.lists(st.sampled_from(bands), unique=True, min_size=1)):
                overrides.setdefault(name, {})[band] = draw(tightening(rules[name], band))
        overlay: dict[str, Any] = {
            "jurisdiction": draw(st.sampled_from(JURISDICTIONS)),
            "source": f"Test Act {number}",
            "settings": overrides,
        }
        effective = draw(st.sampled_from(EFFECTIVE))
        if effective is None:
            overlay["pending"] = True
        else:
            overlay["effective_from"] = effective.isoformat()
        overlays.append(overlay)
    raw["overlays"] = overlays
    return Policy.model_validate(raw, strict=False)


@dataclass(frozen=True)
class World:
    old: Policy
    target: Policy
    accounts: tuple[Account, ...]

    def policies(self, version: str) -> Policy:
        kept = {OLD: self.old, TARGET: self.target}
        if version not in kept:
            raise UnknownPolicyVersion(version)
        return kept[version]


@st.composite
def stored_values(draw: st.DrawFn, policy: Policy, account: Account) -> dict[str, SettingValue]:
    """Either anything (any option, invalid values, missing settings), or what the old version let the holder choose
    where the account lives (within its `self_max`), now and then missing a setting."""
    anything = draw(st.booleans())
    rules = account_rules(policy, account, TODAY)
    values: dict[str, SettingValue] = {}
    for name, rule in sorted(policy.settings.items()):
        kind = draw(st.integers(0, 9 if anything else 29))
        if kind == 0:
            continue  # missing
        if anything:
            values[name] = draw(st.sampled_from(INVALID if kind == 1 else rule.options))
        else:
            self_max = rule.rank_of(rules.limits(name, account.age_band).self_max)
            values[name] = rule.options[draw(st.integers(0, self_max))]
    if draw(st.integers(0, 4)) == 0:
        values[LEGACY_SETTING] = draw(st.sampled_from(["on", True, 3]))
    return values


@st.composite
def worlds(draw: st.DrawFn) -> World:
    old = draw(policies(OLD, evolve=False))
    target = draw(policies(TARGET, evolve=True))
    bands = [band.name for band in target.age.bands]
    accounts = []
    for number in range(draw(st.integers(1, 8))):
        country = draw(st.sampled_from(COUNTRIES))
        account = Account(
            account_id=f"acct-{number:02d}",
            age_band=draw(st.sampled_from(bands)),
            age_assurance=AgeAssurance.SELF_DECLARED,
            policy_version=draw(st.sampled_from([OLD, OLD, OLD, GONE, TARGET])),
            version=1,
            settings={},
            created_at=NOW - timedelta(days=30),
            restricted=draw(st.integers(0, 9)) == 0,
            country=country,
            subdivision="US-NY" if country == "US" and draw(st.booleans()) else "",
        )
        account = replace(account, settings=draw(stored_values(old, account)))
        if account.policy_version == TARGET:  # already migrated: conformed under the target
            rules = account_rules(target, account, TODAY)
            values, _ = conform(rules, account.age_band, account.settings, restricted=account.restricted)
            account = replace(account, settings=values)
        accounts.append(account)
    return World(old, target, tuple(accounts))


# -- the world in the fake store -------------------------------------------------------------------------------------
def seeded(world: World) -> tuple[FakeSettingsStore, MigrationDeps]:
    store = FakeSettingsStore()
    for account in world.accounts:
        event = AuditEvent(
            event_id=f"seed-{account.account_id}",
            account_id=account.account_id,
            version=1,
            at=account.created_at,
            actor=SEED_ACTOR,
            kind=EventKind.DEFAULTS_APPLIED,
            changes=(),
            age_band=account.age_band,
            policy_version=account.policy_version,
            request_id="seed",
        )
        store.create_account(account, event)
    return store, MigrationDeps(store=store, policy=world.target, policies=world.policies, clock=lambda: NOW)


def stored(store: FakeSettingsStore, account_id: str) -> Account:
    account = store.get_account(account_id)
    assert account is not None
    return account


def events(store: FakeSettingsStore, account_id: str) -> list[AuditEvent]:
    return sorted(store.list_events(account_id, 100, None).events, key=lambda event: event.version)


def snapshot(store: FakeSettingsStore, world: World) -> dict[str, tuple[Account, list[AuditEvent]]]:
    return {a.account_id: (stored(store, a.account_id), events(store, a.account_id)) for a in world.accounts}


def difference(before: dict[str, SettingValue], after: dict[str, SettingValue]) -> set[tuple[object, ...]]:
    """(setting, was, now) for every stored value that differs, appeared or went (a missing one reads as None)."""
    return {
        (name, typed(before.get(name)), typed(after.get(name)))
        for name in set(before) | set(after)
        if (name in before) != (name in after) or typed(before[name]) != typed(after[name])
    }


def shown(policy: Policy | None, account: Account, values: dict[str, SettingValue]) -> dict[str, SettingValue]:
    """What the account shows under `policy` where it lives: its stored values over the band's defaults there (a
    setting it lacks shows the default); only the stored values when its version is no longer kept (None)."""
    if policy is None:
        return dict(values)
    return {**band_defaults(account_rules(policy, account, TODAY), account.age_band), **values}


def kept(world: World, version: str) -> Policy | None:
    try:
        return world.policies(version)
    except LookupError:
        return None


def counts(impact: Impact) -> tuple[object, ...]:
    return impact.seen, impact.changed, impact.restamped, impact.conflicts, impact.from_versions, impact.touched


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the properties --------------------------------------------------------------------------------------------------
@SETTINGS
@given(world=worlds())
def test_a_migration_never_loosens_a_value_and_keeps_every_value_within_the_target(world: World) -> None:
    # Given accounts on old, gone and target versions, under random policies
    store, deps = seeded(world)
    # When the migration runs
    impact = run_migration(deps, FROM_VERSIONS)
    # Then no value the account held is loosened, and every value is within the target's self_max where it lives
    assert impact.complete
    for before in world.accounts:
        after = stored(store, before.account_id)
        rules = account_rules(world.target, before, TODAY)
        for name, rule in world.target.settings.items():
            assert name in after.settings, (before.account_id, name)  # every setting is stored after a migration
            was = rule.rank(before.settings[name]) if name in before.settings else None
            now = rule.rank(after.settings[name])
            assert now is not None, (before.account_id, name, after.settings[name])
            if was is not None:
                assert now <= was, (before.account_id, name, before.settings[name], after.settings[name])
            if before.restricted:
                assert now == 0, (before.account_id, name, after.settings[name])
            else:
                self_max = rule.rank_of(rules.limits(name, before.age_band).self_max)
                assert now <= self_max, (before.account_id, name, after.settings[name])
        # settings the target no longer has are kept as they were
        for name in set(before.settings) - set(world.target.settings):
            assert typed(after.settings[name]) == typed(before.settings[name]), (before.account_id, name)


@SETTINGS
@given(world=worlds())
def test_a_second_run_changes_nothing(world: World) -> None:
    # Given a migration that ran once
    store, deps = seeded(world)
    run_migration(deps, FROM_VERSIONS)
    once = snapshot(store, world)
    # When it runs again
    again = run_migration(deps, FROM_VERSIONS)
    # Then it finds no account left on an old version, writes nothing, and the migration of any stored account
    # under the target yields no event
    assert (again.seen, again.changed, again.restamped, again.conflicts) == (0, 0, 0, 0)
    assert snapshot(store, world) == once
    for account, _ in once.values():
        _, event = migrated(deps, account, TODAY, NOW)
        assert event is None, (account, event)


@SETTINGS
@given(world=worlds())
def test_every_account_ends_on_the_target_with_one_event_per_change(world: World) -> None:
    # Given accounts on old, gone and target versions
    store, deps = seeded(world)
    # When the migration runs
    impact = run_migration(deps, FROM_VERSIONS)
    # Then each account is on the target; a changed one has one `policy_migrated` event listing exactly what changed
    changed = 0
    for before in world.accounts:
        after = stored(store, before.account_id)
        history = events(store, before.account_id)
        assert after.policy_version == TARGET
        assert history[:1] == events_of(before), before.account_id
        if len(history) == 1:  # no event: nothing it shows changed (the values it showed by default are now stored)
            assert replace(after, settings={}, updated_at=None) == replace(
                before, policy_version=TARGET, settings={}, updated_at=None
            ), before.account_id
            assert {name: after.settings[name] for name in before.settings} == before.settings, before.account_id
            continue
        changed += 1
        assert before.policy_version != TARGET, before.account_id
        assert len(history) == 2, history  # exactly one event
        event = history[-1]
        assert event.changes, event
        assert event.kind is EventKind.POLICY_MIGRATED
        assert (event.version, after.version) == (before.version + 1, before.version + 1)
        assert event.from_policy_version == before.policy_version
        assert event.policy_version == TARGET
        assert event.age_band == before.age_band
        listed = {(change.setting, typed(change.from_value), typed(change.to_value)) for change in event.changes}
        assert len(listed) == len(event.changes), event.changes  # one change per setting
        # The changes are the difference between what the account showed before (its stored values over the old
        # version's defaults where it lives) and what it stores after ...
        was = shown(kept(world, before.policy_version), before, before.settings)
        assert listed == difference(was, after.settings), (before, after, event.changes)
        # ... which is the difference between the stored values, but for a setting the account lacked whose old
        # default it keeps: that value is written without a change (it showed it already).
        names = {change.setting for change in event.changes}
        unlisted = {entry for entry in difference(before.settings, after.settings) if entry[0] not in names}
        for name, _, now in unlisted:
            assert name not in before.settings, (name, before.settings, after.settings)
            assert typed(was[name]) == now, (name, was, after.settings)
    assert impact.changed == changed
    assert impact.seen == sum(account.policy_version != TARGET for account in world.accounts)
    assert impact.restamped == impact.seen - changed


def events_of(account: Account) -> list[AuditEvent]:
    return [
        AuditEvent(
            event_id=f"seed-{account.account_id}",
            account_id=account.account_id,
            version=1,
            at=account.created_at,
            actor=SEED_ACTOR,
            kind=EventKind.DEFAULTS_APPLIED,
            changes=(),
            age_band=account.age_band,
            policy_version=account.policy_version,
            request_id="seed",
        )
    ]


@SETTINGS
@given(world=worlds())
def test_a_dry_run_reports_what_the_real_run_does(world: World) -> None:
    # Given accounts on old, gone and target versions
    store, deps = seeded(world)
    before = snapshot(store, world)
    # When a dry run, then the real run, go
    dry = run_migration(deps, FROM_VERSIONS, dry_run=True)
    assert snapshot(store, world) == before  # a dry run writes nothing
    real = run_migration(deps, FROM_VERSIONS)
    # Then the dry run's counts are the real run's
    assert dry.dry_run
    assert not real.dry_run
    assert counts(dry) == counts(real)
    # and `touched` counts, per setting, band and jurisdiction, the accounts whose value was changed
    touched: dict[tuple[str, str, str], int] = {}
    for account in world.accounts:
        for event in events(store, account.account_id)[1:]:
            where = account.subdivision or account.country or "unknown"
            for change in event.changes:
                key = (change.setting, account.age_band, where)
                touched[key] = touched.get(key, 0) + 1
    assert dict(real.touched) == touched


# -- a bug this property finds ---------------------------------------------------------------------------------------
def policy_with(version: str, changes: dict[tuple[str, str], dict[str, SettingValue]]) -> Policy:
    raw = copy.deepcopy(BASE)
    raw["version"] = version
    for (name, band), limits in changes.items():
        raw["settings"][name]["bands"][band].update(limits)
    return Policy.model_validate(raw, strict=False)


def lacking(policy: Policy, account: Account, name: str) -> Account:
    """The account storing the band's defaults where it lives, but for `name`."""
    values = band_defaults(account_rules(policy, account, TODAY), account.age_band)
    del values[name]
    return replace(account, settings=values)


_HOLDER = Account(
    account_id="acct-00",
    age_band="16-17",
    age_assurance=AgeAssurance.SELF_DECLARED,
    policy_version=OLD,
    version=1,
    settings={},
    created_at=NOW - timedelta(days=30),
    country="GB",
)
_BASE_OLD = policy_with(OLD, {})
# The smallest case: the target only makes the 16-17 default of `comments` looser ("friends" -> "everyone", within
# the unchanged self_max); a 16-17 account stores every old default but `comments`, so it showed "friends".
MISSING_SETTING_LOOSENED = World(
    old=_BASE_OLD,
    target=policy_with(TARGET, {("comments", "16-17"): {"default": "everyone"}}),
    accounts=(lacking(_BASE_OLD, _HOLDER, "comments"),),
)


# Found by this file's first version: when conform changed nothing, the account was only re-stamped, and the old
# version's defaults that `shown` filled in for the settings the account lacked were dropped; such a setting then
# showed the target's (possibly looser) default. Now those shown values are stored with the stamp. Minimal example:
# MISSING_SETTING_LOOSENED (showed "friends", then "everyone", without an event).
@SETTINGS
@example(world=MISSING_SETTING_LOOSENED)
@given(world=worlds())
def test_what_an_account_shows_is_never_loosened(world: World) -> None:
    # Given accounts on old, gone and target versions, some lacking a setting
    store, deps = seeded(world)
    # When the migration runs
    run_migration(deps, FROM_VERSIONS)
    # Then nothing the account showed is loosened, and a restricted account shows only the strictest options
    for before in world.accounts:
        was = shown(kept(world, before.policy_version), before, before.settings)
        now = shown(world.target, before, stored(store, before.account_id).settings)
        for name, rule in world.target.settings.items():
            rank = rule.rank_of(now[name])
            if before.restricted:
                assert rank == 0, (before.account_id, name, now[name])
            if name in was and rule.rank(was[name]) is not None:
                assert rank <= rule.rank_of(was[name]), (before.account_id, name, was[name], now[name])
