"""Kedro's CLI hooks around argparse and click command lines."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

import click
import pytest

from hookwise import HookManager, hookimpl
from hookwise.cli_hooks import CLIHooks, argparse_main, click_main, run_command

METADATA = {"project_name": "demo", "version": "0.1"}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    @hookimpl
    def before_command_run(self, project_metadata: Mapping[str, Any], command_args: list[str]) -> None:
        self.calls.append(("before", project_metadata["project_name"], command_args))

    @hookimpl
    def after_command_run(self, command_args: list[str], exit_code: int) -> None:
        self.calls.append(("after", command_args, exit_code))


def manager_with_recorder() -> tuple[HookManager[CLIHooks], Recorder]:
    manager = HookManager(CLIHooks)
    recorder = Recorder()
    manager.register(recorder)
    return manager, recorder


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="demo")
    parser.add_argument("command", choices=["run", "fail"])
    return parser


def handler(args: argparse.Namespace) -> int:
    return 0 if args.command == "run" else 3


def test_argparse_commands_run_between_the_hooks_with_args_and_exit_code() -> None:
    manager, recorder = manager_with_recorder()
    main = argparse_main(manager, make_parser(), handler, METADATA)
    assert main(["run"]) == 0
    assert main(["fail"]) == 3
    assert recorder.calls == [
        ("before", "demo", ["run"]),
        ("after", ["run"], 0),
        ("before", "demo", ["fail"]),
        ("after", ["fail"], 3),
    ]


def test_a_usage_error_still_reaches_after_command_run(capsys: pytest.CaptureFixture[str]) -> None:
    manager, recorder = manager_with_recorder()
    assert argparse_main(manager, make_parser(), handler, METADATA)(["nope"]) == 2
    assert recorder.calls[-1] == ("after", ["nope"], 2)
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_an_exception_counts_as_exit_code_1_then_propagates() -> None:
    manager, recorder = manager_with_recorder()

    def crash() -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_command(manager, METADATA, ["x"], crash)
    assert recorder.calls[-1] == ("after", ["x"], 1)


@pytest.mark.parametrize(("code", "expected"), [(None, 0), (4, 4), ("fatal", 1)])
def test_system_exit_codes_are_normalized(code: object, expected: int) -> None:
    manager, recorder = manager_with_recorder()

    def leave() -> int:
        raise SystemExit(code)

    assert run_command(manager, METADATA, [], leave) == expected
    assert recorder.calls[-1] == ("after", [], expected)


def test_run_command_adds_the_cli_specs_to_a_manager_that_lacks_them() -> None:
    manager = HookManager()
    assert run_command(manager, METADATA, [], lambda: None) == 0
    assert {"before_command_run", "after_command_run"} <= set(manager.hook_names)


@click.group()
def cli() -> None:
    """A click host."""


@cli.command()
@click.option("--count", type=int, default=1)
def hello(count: int) -> None:
    click.echo("hello " * count)


@cli.command()
def explode() -> None:
    raise click.ClickException("it broke")


@cli.command()
def leave() -> None:
    raise click.exceptions.Exit(5)


def test_click_commands_run_between_the_hooks(capsys: pytest.CaptureFixture[str]) -> None:
    manager, recorder = manager_with_recorder()
    main = click_main(manager, cli, METADATA)
    assert main(["hello", "--count", "2"]) == 0
    assert "hello hello" in capsys.readouterr().out
    assert main(["explode"]) == 1
    assert "Error: it broke" in capsys.readouterr().err
    assert main(["leave"]) == 5
    assert recorder.calls == [
        ("before", "demo", ["hello", "--count", "2"]),
        ("after", ["hello", "--count", "2"], 0),
        ("before", "demo", ["explode"]),
        ("after", ["explode"], 1),
        ("before", "demo", ["leave"]),
        ("after", ["leave"], 5),
    ]


def test_click_usage_errors_reach_after_command_run(capsys: pytest.CaptureFixture[str]) -> None:
    manager, recorder = manager_with_recorder()
    assert click_main(manager, cli, METADATA)(["nope"]) == 2
    assert recorder.calls[-1] == ("after", ["nope"], 2)
    assert "No such command 'nope'" in capsys.readouterr().err
