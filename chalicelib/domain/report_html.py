"""The export's one-page report for people: self-contained HTML (inline CSS and SVG, no script, no external asset),
readable offline in any browser, built only from the manifest so it can never say something the manifest does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}table{border-collapse:collapse;margin:.5rem 0}
td,th{border-bottom:1px solid #ddd;padding:.25rem .75rem;text-align:left}td.n{text-align:right}
.ok{color:#0a6b2d}.bad{color:#a4161a}.box{border:2px solid;padding:.75rem 1rem;border-radius:.4rem}
small{color:#555}
"""


def render_report(manifest: Mapping[str, Any]) -> str:
    sections = [
        _header(manifest),
        _conformance(manifest["conformance"]),
        _counts("Accounts per age band", "by-band", manifest["counts"]["by_band"]),
        _counts("Accounts per jurisdiction", "by-jurisdiction", manifest["counts"]["by_jurisdiction"]),
        _defaults(manifest["defaults"]),
        _files(manifest["files"]),
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Safety settings export {escape(manifest['export_id'])}</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(sections)}</body></html>"
    )


def _header(manifest: Mapping[str, Any]) -> str:
    request = manifest["request"]
    history = "with history" if request["include_history"] else "without history"
    window = f"{request.get('history_from') or 'the start'} to {request.get('history_to') or 'the request'}"
    return (
        f'<h1>Safety settings export</h1><p>Export <code id="export-id">{escape(manifest["export_id"])}</code>, '
        f"asked for by <b>{escape(manifest['requested_by'])}</b> at {escape(manifest['requested_at'])}, "
        f"complete at {escape(manifest['completed_at'])}; {history}, statements and history from {escape(window)}."
        f'</p><p><b id="accounts">{manifest["accounts"]}</b> accounts, checked against policy '
        f"<b>{escape(manifest['policy_in_force'])}</b> (policy versions on record: "
        f"{escape(', '.join(f'{v}: {n}' for v, n in manifest['policy_versions_seen'].items()) or 'none')}).</p>"
    )


def _conformance(conformance: Mapping[str, Any]) -> str:
    total, checked = conformance["violations_total"], conformance["accounts_checked"]
    if total == 0:
        verdict = (
            f'<p class="ok box" id="conformance">All {checked} accounts conform: no setting of any account is looser '
            "than its age band, jurisdiction and restriction allow.</p>"
        )
        return f"<h2>Conformance</h2>{verdict}"
    accounts = conformance["accounts_with_violations"]
    rows = "".join(
        f"<tr><td>{escape(v['account_id'])}</td><td>{escape(v['setting'])}</td><td>{escape(_text(v['value']))}</td>"
        f"<td>{escape(_text(v['loosest_allowed']))}</td></tr>"
        for v in conformance["violations"][:200]
    )
    shown, in_manifest = len(conformance["violations"][:200]), conformance["violations_listed"]
    listed = (
        ""
        if shown == total
        else f"<p><small>{shown} of {total} are shown; the manifest lists {in_manifest}.</small></p>"
    )
    return (
        f'<h2>Conformance</h2><p class="bad box" id="conformance">{total} settings on {accounts} of {checked} accounts '
        "are looser than their rules allow.</p>"
        "<table><tr><th>Account</th><th>Setting</th><th>Value</th><th>Loosest allowed</th></tr>"
        f"{rows}</table>{listed}"
    )


def _text(value: Any) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _counts(title: str, element_id: str, counts: Mapping[str, int]) -> str:
    rows = "".join(f'<tr><td>{escape(k)}</td><td class="n">{n}</td></tr>' for k, n in counts.items())
    return f'<h2>{title}</h2><div id="{element_id}">{_bars(counts)}<table>{rows}</table></div>'


def _bars(counts: Mapping[str, float], percent: bool = False) -> str:
    """A horizontal bar chart as inline SVG."""
    if not counts:
        return "<p>None.</p>"
    top = max(counts.values()) or 1
    row, width = 22, 320
    bars = []
    for i, (label, value) in enumerate(counts.items()):
        length = 0 if top == 0 else round(width * value / (1 if percent else top))
        shown = f"{value:.1%}" if percent else str(value)
        bars.append(
            f'<text x="0" y="{i * row + 15}" font-size="12">{escape(label)}</text>'
            f'<rect x="130" y="{i * row + 4}" width="{length}" height="14" fill="#3366aa"/>'
            f'<text x="{136 + length}" y="{i * row + 15}" font-size="12">{shown}</text>'
        )
    height = row * len(counts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="520" height="{height}" role="img" '
        f'aria-label="bar chart">{"".join(bars)}</svg>'
    )


def _defaults(defaults: Mapping[str, Any]) -> str:
    shares = {band: float(entry["all_settings"]) for band, entry in defaults.items()}
    rows = "".join(f'<tr><td>{escape(band)}</td><td class="n">{share:.1%}</td></tr>' for band, share in shares.items())
    return (
        "<h2>Accounts with every setting at its default</h2>"
        f'<div id="defaults">{_bars(shares, percent=True)}<table>{rows}</table></div>'
        "<p><small>Per setting shares, and the share on each value, are in the manifest.</small></p>"
    )


def _files(files: list[Mapping[str, Any]]) -> str:
    rows = "".join(
        f'<tr><td>{escape(f["name"])}</td><td class="n">{"" if f["records"] is None else f["records"]}</td>'
        f'<td class="n">{f["bytes"]}</td><td><code>{escape(f["sha256"])}</code></td></tr>'
        for f in files
    )
    return (
        "<h2>Files</h2><table><tr><th>File</th><th>Records</th><th>Bytes</th><th>SHA-256</th></tr>"
        f"{rows}</table><p><small>The report is itself listed in the manifest; check a download with "
        "<code>safety-settings verify DIR</code>.</small></p>"
    )
