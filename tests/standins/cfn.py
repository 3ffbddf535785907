"""CloudFormation templates read as CloudFormation would: cfn-lint's decoder (short tags such as !Ref), and
the intrinsic functions Ref, Fn::If, Fn::Sub, Fn::Split, Fn::Select, Fn::Equals, Fn::Not, Fn::And, Fn::Or and
Condition resolved with given parameters, else their defaults. Pseudo parameters are moto's (account
123456789012, us-east-1, partition aws); what cannot be resolved here (Fn::GetAtt) is left as it is."""

import re
import sys

from cfnlint.decode import decode


def load(path):
    template, errors = decode(path)
    if errors:
        sys.exit("; ".join(str(error) for error in errors))
    return template


PSEUDO = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "AWS::StackName": "rules",
    "AWS::URLSuffix": "amazonaws.com",
}
NO_VALUE = object()


class Resolver:
    def __init__(self, template, parameters):
        self.template = template
        self.values = dict(PSEUDO)
        for name, parameter in template.get("Parameters", {}).items():
            self.values[name] = str(parameters.get(name, parameter.get("Default", "")))
        self.conditions = template.get("Conditions", {})

    def condition(self, name):
        return bool(self.resolve(self.conditions[name]))

    def resolve(self, node):
        if isinstance(node, list):
            return [value for value in (self.resolve(item) for item in node) if value is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref":
                return NO_VALUE if value == "AWS::NoValue" else self.values.get(value, value)
            if key == "Fn::If":
                name, then, otherwise = value
                return self.resolve(then if self.condition(name) else otherwise)
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in value)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(value[0])
            if key == "Fn::And":
                return all(self.resolve(item) for item in value)
            if key == "Fn::Or":
                return any(self.resolve(item) for item in value)
            if key == "Condition" and isinstance(value, str):
                return self.condition(value)
            if key == "Fn::Sub":
                text, names = (value, {}) if isinstance(value, str) else (value[0], self.resolve(value[1]))
                values = {**self.values, **names}
                return re.sub(r"\$\{([^}!]+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text)
            if key == "Fn::Split":
                separator, text = value
                return str(self.resolve(text)).split(separator)
            if key == "Fn::Select":
                index, items = value
                return self.resolve(items)[int(self.resolve(index))]
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}


