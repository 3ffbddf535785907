"""The guided deploy, with each parameter's meaning as its prompt.

`sam deploy --guided` asks each parameter by its bare name. This asks each one of template.yaml's
parameters with its description, its allowed values and the value it keeps if you press Enter (the
one samconfig.toml saved, else the template's default), refuses a value the template would refuse,
then runs `sam deploy` with every answer and `--save-params`, so that samconfig.toml keeps them and
the next plain `sam deploy` sends the same.

    . scripts/tools.sh && sam build && python3 scripts/deploy.py --region eu-west-1 [other sam deploy options]

--print prints the `sam deploy` command instead of running it.
"""

import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent


def saved_overrides(samconfig):
    """The parameter values that samconfig.toml saved (parameter_overrides), by name."""
    if not samconfig.exists():
        return {}
    config = tomllib.loads(samconfig.read_text())
    overrides = config.get("default", {}).get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
    if isinstance(overrides, list):
        overrides = " ".join(overrides)
    return dict(pair.split("=", 1) for pair in shlex.split(overrides) if "=" in pair)


def refusal(parameter, value):
    """Why the template would refuse `value` (or SAM CLI's overrides could not carry it), or None."""
    if '"' in value:
        return "may not hold a double quote"
    allowed = parameter.get("AllowedValues")
    if allowed and value not in [str(item) for item in allowed]:
        return f"must be one of {', '.join(str(item) for item in allowed)}"
    pattern = parameter.get("AllowedPattern")
    if pattern and not re.fullmatch(pattern, value):
        return f"must match {pattern}"
    if parameter.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            return "must be a number"
        if "MinValue" in parameter and number < float(parameter["MinValue"]):
            return f"must be at least {parameter['MinValue']}"
        if "MaxValue" in parameter and number > float(parameter["MaxValue"]):
            return f"must be at most {parameter['MaxValue']}"
    return None


def ask(name, parameter, current):
    """One parameter's answer, asked with its meaning until the template would take it."""
    print(f"\n{name}")
    print(textwrap.indent(textwrap.fill(str(parameter.get("Description", "")).strip(), 96), "  "))
    if parameter.get("AllowedValues"):
        print(f"  one of: {', '.join(str(item) for item in parameter['AllowedValues'])}")
    while True:
        try:
            answer = input(f"  {name} [{current}]: ").strip()
        except EOFError:
            answer = ""
        value = answer or current
        problem = refusal(parameter, value)
        if problem is None:
            return value
        print(f"  {value!r} {problem}; try again")


def main():
    arguments = [argument for argument in sys.argv[1:] if argument != "--print"]
    template, errors = decode(str(ROOT / "template.yaml"))
    if errors:
        sys.exit("; ".join(str(error) for error in errors))
    saved = saved_overrides(ROOT / "samconfig.toml")
    print("macie-invite's parameters: Enter keeps the value in brackets (saved in samconfig.toml, else the default).")
    answers = {}
    for name, parameter in template["Parameters"].items():
        current = saved.get(name, str(parameter.get("Default", "")))
        answers[name] = ask(name, parameter, current)
    # Each value quoted: SAM CLI takes an empty value only as "" (as the guided deploy saves it).
    overrides = [f'{name}="{value}"' for name, value in answers.items()]
    command = ["sam", "deploy", *arguments, "--parameter-overrides", *overrides, "--save-params"]
    print("\n" + shlex.join(command))
    if "--print" in sys.argv:
        return
    sys.exit(subprocess.run(command, cwd=ROOT).returncode)


if __name__ == "__main__":
    main()
