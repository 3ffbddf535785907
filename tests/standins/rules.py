"""Which rules of a CloudFormation or SAM template match which events, by EventBridge's own pattern engine
(moto's, on the moto_server at MOTO_URL): each rule is created with PutRule on a bus of its own
template, with an SQS queue as its only target; each event is put with PutEvents, and the queues that
receive it name the rules it matched. (moto's TestEventPattern is a stub that matches nothing.)

    python3 rules.py MOTO_URL < spec.json

spec: {"templates": [{"name", "path", "parameters": {...}}], "events": {"name": event}}
prints: {"template name": {"event name": ["rule", ...]}}

The template's intrinsic functions are resolved with the given parameters (cfn.py). Rules are AWS::Events::Rule resources with an
EventPattern, and the EventBridgeRule and CloudWatchEvent events of AWS::Serverless::Function, each
when its condition holds. Schedules have no pattern and are left out.
"""

import json
import sys

import boto3

from cfn import Resolver, load


def rules_of(path, parameters):
    template = load(path)
    resolver = Resolver(template, parameters)
    rules = {}
    for name, resource in template.get("Resources", {}).items():
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Events::Rule" and "EventPattern" in properties:
            rules[name] = resolver.resolve(properties["EventPattern"])
        if resource["Type"] == "AWS::Serverless::Function":
            for event_name, event in properties.get("Events", {}).items():
                if event["Type"] in ("EventBridgeRule", "CloudWatchEvent"):
                    rules[event_name] = resolver.resolve(event["Properties"]["Pattern"])
    return rules


def main():
    moto_url = sys.argv[1]
    spec = json.load(sys.stdin)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    events = session.client("events", endpoint_url=moto_url)
    sqs = session.client("sqs", endpoint_url=moto_url)
    results = {}
    for number, template in enumerate(spec["templates"]):
        bus = f"rules-{number}"
        events.create_event_bus(Name=bus)
        queues = {}
        for rule, pattern in rules_of(template["path"], template.get("parameters", {})).items():
            rule_name = f"{number}-{rule}"[:64]
            events.put_rule(Name=rule_name, EventBusName=bus, EventPattern=json.dumps(pattern))
            url = sqs.create_queue(QueueName=f"rules-{number}-{rule}"[:80])["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_targets(Rule=rule_name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
            queues[rule] = url
        matched = {}
        for name, event in spec["events"].items():
            entry = {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": event.get("resources", []),
                "EventBusName": bus,
            }
            answer = events.put_events(Entries=[entry])
            if answer["FailedEntryCount"]:
                sys.exit(f"PutEvents refused {name}: {answer['Entries']}")
            matched[name] = sorted(
                rule for rule, url in queues.items() if sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages")
            )
            for url in queues.values():
                sqs.purge_queue(QueueUrl=url)
        results[template["name"]] = matched
    print(json.dumps(results))


if __name__ == "__main__":
    main()
