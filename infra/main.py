"""The CDK app's entry point (`cdk.json`: `python -m infra.main`). Not named `app`: Chalice imports `app`."""

from __future__ import annotations

from infra.synth import build_app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
