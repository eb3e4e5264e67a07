"""template.yaml as data, so the local stack and the tests read the same table, stream and schedule AWS deploys.

`load_template()` parses the SAM template with CloudFormation's short tags (`!Ref`, `!GetAtt`, `!Sub`, ...) turned
into their long JSON forms, and answers the questions the local stack asks: how to create the table, which function
reads the stream with which batch size, filters and failure handling, how often follow-up runs with what input.
Intrinsics are left unresolved: nothing here needs a deployed value.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "template.yaml"
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_RATE_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}


class CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that reads `!Ref x` as `{"Ref": "x"}`, `!GetAtt a.b` as `{"Fn::GetAtt": ["a", "b"]}`, and so on."""


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


@dataclass(frozen=True)
class FunctionSpec:
    """One AWS::Serverless::Function with the template's Globals applied."""

    logical_id: str
    code_dir: str
    handler: str
    runtime: str
    architectures: list[str]
    timeout_s: int
    memory_mb: int
    build_method: str | None
    environment: dict[str, Any]
    properties: dict[str, Any]


@dataclass(frozen=True)
class StreamSubscription:
    """A DynamoDB stream event source of one function, with Lambda's defaults where the template says nothing."""

    function_id: str
    code_dir: str
    event_name: str
    batch_size: int
    batching_window_s: int
    starting_position: str
    filters: list[dict[str, Any]]
    max_retries: int
    bisect: bool
    max_record_age_s: int
    report_batch_item_failures: bool
    on_failure: str | None  # logical id of the on-failure destination, e.g. the dead-letter queue


@dataclass(frozen=True)
class Schedule:
    """The EventBridge Scheduler event of the follow-up function."""

    function_id: str
    code_dir: str
    expression: str
    rate_s: int
    input_template: str

    def event(self, at: datetime) -> dict[str, Any]:
        """The event the function receives when the schedule fires at `at`, as Scheduler fills its placeholders."""
        scheduled = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event: dict[str, Any] = json.loads(self.input_template.replace(SCHEDULED_TIME, scheduled))
        return event


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function_id: str
    payload_format: str


def rate_seconds(expression: str) -> int:
    """`rate(5 minutes)` → 300. Cron expressions have no fixed period, so they are refused."""
    match = _RATE.match(expression.strip())
    if match is None:
        raise ValueError(f"not a rate expression: {expression!r}")
    return int(match.group(1)) * _RATE_UNIT_S[match.group(2).rstrip("s")]


def merge_globals(global_properties: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge, lists add up (globals first), anything else the resource's value wins."""
    merged = copy.deepcopy(global_properties)
    for key, value in properties.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict) and not _is_intrinsic(value):
            merged[key] = merge_globals(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[key] = current + copy.deepcopy(value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _is_intrinsic(value: dict[str, Any]) -> bool:
    key = next(iter(value), "")
    return len(value) == 1 and (key in ("Ref", "Condition") or key.startswith("Fn::"))


def _referenced_id(value: Any) -> str | None:
    """The logical id behind `!Ref X` or `!GetAtt X.Attr`."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


class Template:
    def __init__(self, document: dict[str, Any], path: Path) -> None:
        self.document = document
        self.path = path

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.document.get("Resources", {})
        return resources

    def resource(self, logical_id: str) -> dict[str, Any]:
        return self.resources[logical_id]

    def logical_ids(self, resource_type: str) -> list[str]:
        return [logical_id for logical_id, res in self.resources.items() if res.get("Type") == resource_type]

    def _only(self, resource_type: str) -> str:
        found = self.logical_ids(resource_type)
        if len(found) != 1:
            raise LookupError(f"expected exactly one {resource_type} in {self.path}, found {found}")
        return found[0]

    # --- the table --------------------------------------------------------------------------------------------
    def table_id(self) -> str:
        return self._only("AWS::DynamoDB::Table")

    def table_create_kwargs(self, table_name: str = "leadwire") -> dict[str, Any]:
        """Exactly what boto3's `create_table` needs to build the template's table (keys, indexes, stream)."""
        props = self.resource(self.table_id())["Properties"]
        billing = props.get("BillingMode", "PROVISIONED")
        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "KeySchema": copy.deepcopy(props["KeySchema"]),
            "AttributeDefinitions": copy.deepcopy(props["AttributeDefinitions"]),
            "BillingMode": billing,
        }
        if billing == "PROVISIONED":
            kwargs["ProvisionedThroughput"] = copy.deepcopy(props["ProvisionedThroughput"])
        indexes = []
        for index in props.get("GlobalSecondaryIndexes", []):
            spec = {key: copy.deepcopy(index[key]) for key in ("IndexName", "KeySchema", "Projection")}
            if billing == "PROVISIONED":
                spec["ProvisionedThroughput"] = copy.deepcopy(index["ProvisionedThroughput"])
            indexes.append(spec)
        if indexes:
            kwargs["GlobalSecondaryIndexes"] = indexes
        stream = props.get("StreamSpecification")
        if stream:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        return kwargs

    def ttl_attribute(self) -> str | None:
        ttl = self.resource(self.table_id())["Properties"].get("TimeToLiveSpecification") or {}
        return ttl.get("AttributeName") if ttl.get("Enabled", True) else None

    # --- the functions ----------------------------------------------------------------------------------------
    def functions(self) -> dict[str, FunctionSpec]:
        global_properties = self.document.get("Globals", {}).get("Function", {})
        specs = {}
        for logical_id in self.logical_ids("AWS::Serverless::Function"):
            res = self.resource(logical_id)
            props = merge_globals(global_properties, res.get("Properties", {}))
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                code_dir=str(props["CodeUri"]).rstrip("/"),
                handler=props["Handler"],
                runtime=props["Runtime"],
                architectures=list(props.get("Architectures", ["x86_64"])),
                timeout_s=int(props.get("Timeout", 3)),
                memory_mb=int(props.get("MemorySize", 128)),
                build_method=(res.get("Metadata") or {}).get("BuildMethod"),
                environment=dict((props.get("Environment") or {}).get("Variables") or {}),
                properties=props,
            )
        return specs

    def function(self, logical_id: str) -> FunctionSpec:
        return self.functions()[logical_id]

    def _events(self, event_type: str) -> list[tuple[FunctionSpec, str, dict[str, Any]]]:
        found = []
        for spec in self.functions().values():
            for name, event in (spec.properties.get("Events") or {}).items():
                if event.get("Type") == event_type:
                    found.append((spec, name, event.get("Properties") or {}))
        return found

    def stream_subscriptions(self) -> list[StreamSubscription]:
        subscriptions = []
        for spec, name, props in self._events("DynamoDB"):
            filters = (props.get("FilterCriteria") or {}).get("Filters") or []
            on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            subscriptions.append(StreamSubscription(
                function_id=spec.logical_id,
                code_dir=spec.code_dir,
                event_name=name,
                batch_size=int(props.get("BatchSize", 100)),
                batching_window_s=int(props.get("MaximumBatchingWindowInSeconds", 0)),
                starting_position=str(props["StartingPosition"]),
                filters=[json.loads(item["Pattern"]) for item in filters],
                max_retries=int(props.get("MaximumRetryAttempts", -1)),  # Lambda's default: retry until expiry
                bisect=bool(props.get("BisectBatchOnFunctionError", False)),
                max_record_age_s=int(props.get("MaximumRecordAgeInSeconds", -1)),
                report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                on_failure=_referenced_id(on_failure),
            ))
        return subscriptions

    def schedule(self) -> Schedule:
        found = self._events("ScheduleV2") + self._events("Schedule")
        if len(found) != 1:
            raise LookupError(f"expected exactly one scheduled function in {self.path}, found {len(found)}")
        spec, _, props = found[0]
        expression = str(props["ScheduleExpression"])
        return Schedule(function_id=spec.logical_id, code_dir=spec.code_dir, expression=expression,
                        rate_s=rate_seconds(expression), input_template=str(props.get("Input", "{}")))

    def routes(self) -> list[Route]:
        return [Route(method=str(props["Method"]).upper(), path=str(props["Path"]), function_id=spec.logical_id,
                      payload_format=str(props.get("PayloadFormatVersion", "2.0")))
                for spec, _, props in self._events("HttpApi")]

    # --- permissions and secrets ------------------------------------------------------------------------------
    def policy_statements(self, function_id: str) -> list[dict[str, Any]]:
        """The inline statements of a function's Policies; SAM policy templates (e.g. DynamoDBCrudPolicy) are
        not statements and are not listed: `policy_templates()` shows those."""
        statements = []
        for policy in self.function(function_id).properties.get("Policies") or []:
            if isinstance(policy, dict) and "Statement" in policy:
                statement = policy["Statement"]
                statements += statement if isinstance(statement, list) else [statement]
        return statements

    def policy_templates(self, function_id: str) -> list[str]:
        """Names of SAM policy templates and managed policies attached to a function."""
        names = []
        for policy in self.function(function_id).properties.get("Policies") or []:
            if isinstance(policy, str):
                names.append(policy)
            elif isinstance(policy, dict) and "Statement" not in policy:
                names += list(policy)
        return names

    def policy_actions(self, function_id: str, service: str | None = None) -> set[str]:
        """Every action a function's inline policy allows, e.g. {"dynamodb:GetItem", ...}; `service` narrows."""
        actions: set[str] = set()
        for statement in self.policy_statements(function_id):
            if statement.get("Effect") != "Allow":
                continue
            action = statement.get("Action", [])
            actions.update([action] if isinstance(action, str) else action)
        return {action for action in actions if service is None or action.startswith(f"{service}:")}

    def secret_keys(self, secret_id: str) -> list[str]:
        """The keys of a Secrets Manager secret's JSON document (generated key included)."""
        props = self.resource(secret_id)["Properties"]
        generate = props.get("GenerateSecretString") or {}
        keys = list(json.loads(generate.get("SecretStringTemplate") or props.get("SecretString") or "{}"))
        if generate.get("GenerateStringKey"):
            keys.append(generate["GenerateStringKey"])
        return keys


@cache
def _load(path: Path) -> Template:
    with path.open(encoding="utf-8") as stream:
        document = yaml.load(stream, Loader=CloudFormationLoader)  # a SafeLoader: no arbitrary objects
    return Template(document, path)


def load_template(path: Path | str | None = None) -> Template:
    """The parsed template (cached per path; treat it as read-only, the helpers hand out copies)."""
    return _load(Path(path).resolve() if path else TEMPLATE_PATH)
