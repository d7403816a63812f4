"""Placeholder until the CLI lands."""


def main() -> None:
    raise SystemExit("kg: CLI not written yet")
