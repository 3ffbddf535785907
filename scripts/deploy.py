"""The guided deploy, with each parameter's meaning as its prompt.

`sam deploy --guided` asks each parameter by its bare name. This asks each one of template.yaml's
parameters with its description, its allowed values and the value it keeps if you press Enter (the
one samconfig.toml saved, else the template's default), refuses a value the template would refuse,
then runs `sam deploy` with every answer and `--save-params`, so that samconfig.toml keeps them and
the next plain `sam deploy` sends the same.

    . scripts/tools.sh && sam build && python3 scripts/deploy.py --region eu-west-1 [other sam deploy options]

--print prints the `sam deploy` command instead of running it. --defaults asks nothing: it sends
the saved (or default) value of every parameter and says which; without it, standard input must be
a terminal. --help prints this.
"""

import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

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
        # In words, as the template says it (ConstraintDescription), never the bare pattern.
        return parameter.get("ConstraintDescription", "is not a value this parameter takes")
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


USAGE = """usage: python3 scripts/deploy.py [--print] [--defaults] [--help] [sam deploy options, such as --region R]

Asks each of template.yaml's parameters with its meaning, its allowed values and the value Enter
keeps (saved in samconfig.toml, else the template's default), then runs
  sam deploy [your options] --parameter-overrides NAME="VALUE"... --save-params
so that samconfig.toml keeps every answer. Run `. scripts/tools.sh && sam build` first.

  --print      print the sam deploy command instead of running it
  --defaults   ask nothing: send the saved or default values, and say which (needed where standard
               input is not a terminal: a script, a pipe, CI)
  --help       print this, and ask nothing
The region: pass --region R (sam deploy's own option), or let SAM CLI take the saved or configured one.
"""


def main():
    flags = {"--print", "--defaults", "--help", "-h"}
    arguments = [argument for argument in sys.argv[1:] if argument not in flags]
    if "--help" in sys.argv or "-h" in sys.argv:
        print(USAGE)
        return
    defaults = "--defaults" in sys.argv
    if not defaults and not sys.stdin.isatty():
        sys.exit("scripts/deploy.py asks each parameter, and standard input is not a terminal: run it in a "
                 "terminal, or pass --defaults to send the saved or default values without asking")
    try:
        from cfnlint.decode import decode
    except ModuleNotFoundError:
        sys.exit("scripts/deploy.py needs the project's tools (cfn-lint, SAM CLI): run `. scripts/tools.sh` "
                 "first (it makes .venv and puts it first on PATH), then this again")
    template, errors = decode(str(ROOT / "template.yaml"))
    if errors:
        sys.exit("; ".join(str(error) for error in errors))
    saved = saved_overrides(ROOT / "samconfig.toml")
    answers = {}
    if defaults:
        print("--defaults: sending the saved (samconfig.toml) or default value of each parameter:")
    else:
        print("macie-invite's parameters: Enter keeps the value in brackets (saved in samconfig.toml, else the default).")
    for name, parameter in template["Parameters"].items():
        current = saved.get(name, str(parameter.get("Default", "")))
        if defaults:
            problem = refusal(parameter, current)
            if problem is not None:
                sys.exit(f"{name}: the saved value {current!r} {problem}: run without --defaults to answer it")
            print(f"  {name}={current}")
            answers[name] = current
        else:
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
