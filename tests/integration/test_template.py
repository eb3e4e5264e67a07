"""template.yaml against the plan: the table, the stream consumers, the schedule, the API, least privilege, secrets."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws
from moto.events.models import EventPattern

from devtools.template import CloudFormationLoader, StreamSubscription, load_template, merge_globals, rate_seconds
from leadwire.intake.imports import STALLED_AFTER
from leadwire.store import schema

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template()

FUNCTIONS = {  # logical id → (code dir, timeout in seconds)
    "IntakeFunction": ("functions/intake", 10),
    "ScoreFunction": ("functions/score", 30),
    "AssignFunction": ("functions/assign", 30),
    "FollowupFunction": ("functions/followup", 240),
    "OutboundFunction": ("functions/outbound", 90),
    "ImportFunction": ("functions/imports", 300),
}
STREAM_CONSUMERS = ("ScoreFunction", "AssignFunction", "OutboundFunction", "ImportFunction")
LEAD_CONSUMERS = ("ScoreFunction", "AssignFunction")  # batches of lead records; the import function takes chunks

INDEXES = {  # name → (hash key, range key, projection type, non-key attributes)
    "by_created": ("list_pk", "created_at", "INCLUDE", {"stage", "status", "owner", "source"}),
    "by_owner": ("owner", "created_at", "INCLUDE", {"stage", "status", "source", "list_pk"}),
    "due": ("due_shard", "due_at", "KEYS_ONLY", set()),
}

SCORE_FILTER = {"dynamodb": {"NewImage": {"sk": {"S": ["LEAD"]}, "score_due": {"N": [{"exists": True}]}}}}
ASSIGN_FILTER = {"dynamodb": {"NewImage": {
    "sk": {"S": ["LEAD"]}, "status": {"S": ["new"]}, "stage": {"S": [{"exists": True}]},
    "owner": {"S": [{"exists": False}]}, "score_due": {"N": [{"exists": False}]},
    "assign_blocked": {"S": [{"exists": False}]},
}}}

OUTBOUND_FILTER = {"dynamodb": {"NewImage": {"sk": {"S": [{"prefix": "DLV#"}]}, "send": {"N": [{"exists": True}]}}}}
ROUTES = {
    ("PUT", "/subscriptions/{id}"), ("GET", "/subscriptions"), ("DELETE", "/subscriptions/{id}"),
    ("GET", "/subscriptions/{id}/deliveries"),
    ("POST", "/leads"), ("GET", "/leads"), ("GET", "/leads/{id}"), ("PATCH", "/leads/{id}"),
    ("DELETE", "/leads/{id}"), ("POST", "/leads/{id}/events"), ("GET", "/leads/{id}/timeline"),
    ("GET", "/webhooks/meta"), ("POST", "/webhooks/meta"), ("POST", "/webhooks/google"),
    ("POST", "/webhooks/typeform"), ("POST", "/webhooks/generic"), ("PUT", "/reps/{id}"), ("GET", "/reps"),
    ("GET", "/config"), ("PUT", "/config"), ("GET", "/unsubscribe"), ("POST", "/unsubscribe"),
    ("GET", "/opt-in"), ("POST", "/opt-in"),
    ("GET", "/reports/funnel"), ("GET", "/openapi.json"), ("ANY", "$default"), ("GET", "/l/{token}"),
    ("POST", "/l/{token}"), ("POST", "/leads/{id}/actions"), ("GET", "/leads/{id}/submissions"),
    ("POST", "/leads/{id}/merge"), ("GET", "/thanks"), ("GET", "/console"), ("GET", "/console/{asset}"),
    ("GET", "/console/leads/{id}"), ("POST", "/config/preview"), ("POST", "/config/templates/preview"),
    ("GET", "/config/versions"), ("GET", "/config/versions/{version}"), ("GET", "/reps/{id}/record"),
    ("GET", "/sources/health"), ("GET", "/reports/value"), ("PUT", "/spend"),
    ("GET", "/spend"), ("POST", "/imports"), ("GET", "/imports/{id}"),
}

ENVIRONMENT = {
    "TABLE_NAME", "EVENT_BUS_NAME", "SENDER_EMAIL", "META_GRAPH_URL", "META_DATASET_ID", "DEFAULT_REGION",
    "PUBLIC_BASE_URL", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_METRICS_DISABLED", "PYDANTIC_DISABLE_PLUGINS",
}
SECRET_KEYS = {
    "LEADWIRE_API_KEYS", "META_APP_SECRET", "META_VERIFY_TOKEN", "META_PAGE_TOKEN", "GOOGLE_ADS_KEY",
    "TYPEFORM_SECRET", "WEBHOOK_SECRETS", "UNSUBSCRIBE_SECRET",
}

SECRET_ARNS = {"LEADWIRE_SECRET_ARN": "LeadwireSecret"}
SECRETS_READ = {"IntakeFunction": ("LEADWIRE_SECRET_ARN",), "ScoreFunction": (), "AssignFunction": (),
                "FollowupFunction": ("LEADWIRE_SECRET_ARN",), "OutboundFunction": (), "ImportFunction": ()}

# Transactions need no action of their own: IAM checks each Put/Update/Delete/ConditionCheck inside them, and
# "dynamodb:TransactWriteItems" is not an IAM action at all.
SENDS_EMAIL = {"ses:SendEmail"}  # SES API v2 SendEmail, simple content with headers
READS_SECRETS = {"secretsmanager:GetSecretValue"}
COMMON = {"events:PutEvents"}
ACTIONS = {
    "IntakeFunction": COMMON | READS_SECRETS | SENDS_EMAIL | {
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query",
        "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"},
    "ScoreFunction": COMMON | {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:PutItem"},
    "AssignFunction": COMMON | SENDS_EMAIL | {
        "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"},
    "FollowupFunction": COMMON | READS_SECRETS | SENDS_EMAIL | {
        "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem",
        "dynamodb:DeleteItem"},
    "OutboundFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"},
    # Intake of imported rows only: no email (an imported person is not told of anything), no events, no secret.
    "ImportFunction": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                       "dynamodb:Query"},
}


def references(node: Any) -> set[str]:
    """Every logical id a piece of template refers to, through Ref, GetAtt or a ${...} inside Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        if "Ref" in node:
            found.add(str(node["Ref"]))
        if "Fn::GetAtt" in node:
            found.add(str(node["Fn::GetAtt"][0]))
        if "Fn::Sub" in node:
            text, local = (node["Fn::Sub"], {}) if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"]
            found |= {name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text)} - set(local)
            return found | references(local)
        for value in node.values():
            found |= references(value)
    elif isinstance(node, list):
        for value in node:
            found |= references(value)
    return found


def stream_record(new_image: dict[str, Any] | None, event_name: str = "MODIFY") -> dict[str, Any]:
    """A DynamoDB stream record as Lambda filtering sees it, from plain attribute values."""
    def typed(value: Any) -> dict[str, Any]:
        return {"N": str(value)} if isinstance(value, int | float) else {"S": str(value)}

    dynamodb: dict[str, Any] = {"Keys": {"pk": {"S": "LEAD#1"}, "sk": {"S": "LEAD"}}, "SequenceNumber": "1"}
    if new_image is not None:
        dynamodb["NewImage"] = {name: typed(value) for name, value in new_image.items()}
    return {"eventID": "1", "eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": dynamodb}


def lead_image(**attributes: Any) -> dict[str, Any]:
    return {"pk": "LEAD#1", "sk": "LEAD", "status": "new", **attributes}


def subscription(function_id: str) -> StreamSubscription:
    return next(item for item in TEMPLATE.stream_subscriptions() if item.function_id == function_id)


def matches(function_id: str, record: dict[str, Any]) -> bool:
    patterns = [EventPattern.load(json.dumps(pattern)) for pattern in subscription(function_id).filters]
    return any(pattern.matches_event(record) for pattern in patterns)


# --- the loader ------------------------------------------------------------------------------------------------
def test_loader_turns_short_tags_into_long_forms() -> None:
    text = "a: !Ref Table\nb: !GetAtt Table.StreamArn\nc: !Sub '${X}-y'\nd: !If [Cond, 1, !Ref AWS::NoValue]\n"

    document = yaml.load(text, Loader=CloudFormationLoader)  # a SafeLoader subclass

    assert document == {"a": {"Ref": "Table"}, "b": {"Fn::GetAtt": ["Table", "StreamArn"]}, "c": {"Fn::Sub": "${X}-y"},
                        "d": {"Fn::If": ["Cond", 1, {"Ref": "AWS::NoValue"}]}}


def test_globals_merge_like_sam() -> None:
    merged = merge_globals({"Timeout": 3, "Layers": ["a"], "Environment": {"Variables": {"A": "1", "B": "2"}}},
                           {"Timeout": 10, "Layers": ["b"], "Environment": {"Variables": {"B": "3"}}})

    assert merged == {"Timeout": 10, "Layers": ["a", "b"], "Environment": {"Variables": {"A": "1", "B": "3"}}}


@pytest.mark.parametrize(("expression", "seconds"), [("rate(5 minutes)", 300), ("rate(1 minute)", 60),
                                                    ("rate(2 hours)", 7200), ("rate(1 day)", 86400)])
def test_rate_expressions_become_seconds(expression: str, seconds: int) -> None:
    assert rate_seconds(expression) == seconds


def test_cron_has_no_fixed_rate() -> None:
    with pytest.raises(ValueError, match="not a rate"):
        rate_seconds("cron(0/5 * * * ? *)")


# --- the table -------------------------------------------------------------------------------------------------
def test_one_table_on_demand_with_stream_ttl_recovery_and_encryption() -> None:
    props = TEMPLATE.resource(TEMPLATE.table_id())["Properties"]

    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert TEMPLATE.ttl_attribute() == "expires_at"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_the_table_has_exactly_the_planned_indexes() -> None:
    kwargs = TEMPLATE.table_create_kwargs()

    found = {index["IndexName"]: (index["KeySchema"][0]["AttributeName"], index["KeySchema"][1]["AttributeName"],
                                  index["Projection"]["ProjectionType"],
                                  set(index["Projection"].get("NonKeyAttributes", [])))
             for index in kwargs["GlobalSecondaryIndexes"]}
    assert found == INDEXES
    defined = {item["AttributeName"]: item["AttributeType"] for item in kwargs["AttributeDefinitions"]}
    assert defined == dict.fromkeys(["pk", "sk", "list_pk", "created_at", "owner", "due_shard", "due_at"], "S")


def test_create_table_kwargs_build_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given moto in process (no sockets)
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("dynamodb")

        # When the local stack creates the table the way it does
        client.create_table(**TEMPLATE.table_create_kwargs("leads"))

        # Then it is the template's table
        table = client.describe_table(TableName="leads")["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == set(INDEXES)


# --- the stream consumers --------------------------------------------------------------------------------------
@pytest.mark.parametrize("function_id", LEAD_CONSUMERS)
def test_stream_consumers_batch_retry_and_dead_letter_as_planned(function_id: str) -> None:
    found = subscription(function_id)

    assert found.code_dir == FUNCTIONS[function_id][0]
    # No batching window on the way to the owner's email (see template.yaml); deliveries to receivers may wait one
    window = 1 if function_id == "OutboundFunction" else 0
    assert (found.batch_size, found.batching_window_s, found.starting_position) == (10, window, "TRIM_HORIZON")
    assert found.report_batch_item_failures and found.bisect
    assert (found.max_retries, found.max_record_age_s) == (3, 86400)
    assert found.on_failure == "DeadLetterQueue"


def test_only_score_assign_outbound_and_import_read_the_stream() -> None:
    assert sorted(item.function_id for item in TEMPLATE.stream_subscriptions()) == sorted(STREAM_CONSUMERS)


def test_the_import_function_takes_one_pending_chunk_at_a_time_and_dead_letters_what_keeps_failing() -> None:
    found = subscription("ImportFunction")

    assert (found.batch_size, found.starting_position, found.report_batch_item_failures) == (1, "TRIM_HORIZON", True)
    assert found.on_failure == "DeadLetterQueue"
    chunk = {"pk": "IMPORT#abc", "sk": "CHUNK#00000", "state": "pending"}
    assert matches("ImportFunction", stream_record(chunk, event_name="INSERT"))
    assert not matches("ImportFunction", stream_record({**chunk, "state": "done"}))
    assert not matches("ImportFunction", stream_record({"pk": "LEAD#1", "sk": "LEAD", "state": "pending"}))
    # and a chunk is given up (every try at most the function's timeout) before its import shows as stalled
    tries = found.max_retries + 1
    assert tries * TEMPLATE.function("ImportFunction").timeout_s < STALLED_AFTER.total_seconds()


@pytest.mark.parametrize(("function_id", "pattern"),
                         [("ScoreFunction", SCORE_FILTER), ("AssignFunction", ASSIGN_FILTER),
                          ("OutboundFunction", OUTBOUND_FILTER)])
def test_filters_are_the_plans(function_id: str, pattern: dict[str, Any]) -> None:
    assert subscription(function_id).filters == [pattern]


@pytest.mark.parametrize(("image", "wanted"), [
    (lead_image(score_due=1), True),
    (lead_image(), False),
    ({"pk": "LEAD#1", "sk": "TL#2026-10-01T09:24:10.377Z#1", "score_due": 1}, False),
])
def test_score_sees_only_leads_whose_score_is_due(image: dict[str, Any], wanted: bool) -> None:
    assert matches("ScoreFunction", stream_record(image)) is wanted


def test_score_ignores_removals() -> None:
    assert not matches("ScoreFunction", stream_record(None, event_name="REMOVE"))


@pytest.mark.parametrize(("image", "wanted"), [
    (lead_image(stage="lead"), True),
    (lead_image(stage="lead", owner="anna"), False),
    (lead_image(stage="lead", score_due=1), False),
    (lead_image(stage="lead", assign_blocked="no-rep"), False),
    (lead_image(stage="lead", status="contacted"), False),
    (lead_image(), False),
])
def test_assign_sees_only_scored_new_leads_without_owner(image: dict[str, Any], wanted: bool) -> None:
    assert matches("AssignFunction", stream_record(image)) is wanted


@pytest.mark.parametrize(("image", "wanted"), [
    ({"pk": "HOOK#crm", "sk": "DLV#2026-10-01T09:24:10.377Z#ab12", "send": 0}, True),
    ({"pk": "HOOK#crm", "sk": "DLV#2026-10-01T09:24:10.377Z#ab12", "send": 2}, True),
    ({"pk": "HOOK#crm", "sk": "DLV#2026-10-01T09:24:10.377Z#ab12", "status": "pending"}, False),
    (lead_image(send=1), False),
])
def test_outbound_sees_only_deliveries_that_ask_for_an_attempt(image: dict[str, Any], wanted: bool) -> None:
    assert matches("OutboundFunction", stream_record(image, event_name="INSERT")) is wanted


def test_dead_letter_queue_is_encrypted_and_keeps_messages_14_days() -> None:
    props = TEMPLATE.resource("DeadLetterQueue")["Properties"]

    assert TEMPLATE.resource("DeadLetterQueue")["Type"] == "AWS::SQS::Queue"
    assert props["SqsManagedSseEnabled"] is True
    assert props["MessageRetentionPeriod"] == 14 * 24 * 3600


# --- the schedule ----------------------------------------------------------------------------------------------
def test_followup_runs_every_5_minutes_with_the_scheduled_time() -> None:
    schedule = TEMPLATE.schedule()

    assert (schedule.function_id, schedule.code_dir, schedule.rate_s) == ("FollowupFunction", "functions/followup", 300)
    assert schedule.input_template == '{"time": "<aws.scheduler.scheduled-time>"}'
    assert schedule.event(datetime(2026, 10, 1, 9, 25, tzinfo=UTC)) == {"time": "2026-10-01T09:25:00Z"}


# --- code and build --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_functions_are_arm64_python313_built_with_make(function_id: str) -> None:
    spec = TEMPLATE.function(function_id)
    code_dir, timeout_s = FUNCTIONS[function_id]

    assert (spec.code_dir, spec.handler, spec.runtime, spec.architectures) == (
        code_dir, "app.lambda_handler", "python3.13", ["arm64"])
    assert (spec.build_method, spec.memory_mb, spec.timeout_s) == ("makefile", 256, timeout_s)
    assert spec.properties["Layers"] == [{"Ref": "CommonLayer"}]
    makefile = (ROOT / code_dir / "Makefile").read_text()
    assert f"build-{function_id}:" in makefile
    assert "$(ARTIFACTS_DIR)" in makefile


def test_the_common_layer_is_built_for_arm64_python313_with_make() -> None:
    layer = TEMPLATE.resource("CommonLayer")
    makefile = (ROOT / "layers/common/Makefile").read_text()

    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert layer["Properties"]["ContentUri"] == "layers/common"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert "build-CommonLayer:" in makefile
    assert "PLATFORM ?= manylinux2014_aarch64" in makefile
    for flag in ("--platform $(PLATFORM)", "--implementation cp", "--python-version 3.13",
                 "--only-binary=:all:", '-t "$(ARTIFACTS_DIR)/python"'):
        assert flag in makefile
    # bytecode for the runtime's Python, never checked against sources whose mtimes zipping changes
    assert "--invalidation-mode unchecked-hash" in makefile


def requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def imported_modules(package: Path) -> set[str]:
    """Top-level names of everything a package's modules import, relative imports left out."""
    found = set()
    for module in package.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def test_the_layer_ships_what_the_domain_imports_but_not_boto3() -> None:
    # Given what the layer installs and what the project declares
    lines = (ROOT / "layers/common/requirements.txt").read_text().splitlines()
    shipped = {requirement_name(line) for line in lines if line.strip() and not line.startswith("#")}
    declared = {requirement_name(item)
                for item in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}

    # When we look at every third-party import of the domain package
    third_party = imported_modules(ROOT / "layers/common/leadwire") - set(sys.stdlib_module_names) - {
        "leadwire", "boto3", "botocore"}
    distributions = importlib.metadata.packages_distributions()
    needed = {requirement_name(distributions[module][0]) for module in third_party}

    # Then the layer has each of them, declared by the project too (tzdata is the layer's own, see requirements.txt)
    assert needed <= shipped
    assert shipped - {"tzdata"} <= declared - {"boto3"}
    assert {"aws-lambda-powertools", "pydantic", "phonenumberslite", "email-validator"} <= shipped


# --- environment and secrets -----------------------------------------------------------------------------------
@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_every_function_gets_the_planned_environment(function_id: str) -> None:
    environment = TEMPLATE.function(function_id).environment

    secrets = {name: environment[name] for name in SECRET_ARNS if name in environment}
    assert set(environment) - ({"REDIRECT_ORIGINS"} if function_id == "IntakeFunction" else set()) - set(secrets) \
        == ENVIRONMENT
    assert environment["POWERTOOLS_SERVICE_NAME"] == environment["POWERTOOLS_METRICS_NAMESPACE"] == "leadwire"
    assert environment["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    assert secrets == {name: {"Ref": SECRET_ARNS[name]} for name in SECRETS_READ[function_id]}


def test_only_intake_and_followup_read_the_secret() -> None:
    # Given what each function may read: IAM names exactly the secret its environment points to
    for function_id, names in SECRETS_READ.items():
        resources = [statement["Resource"] for statement in TEMPLATE.policy_statements(function_id)
                     if "secretsmanager:GetSecretValue" in json.dumps(statement["Action"])]
        assert references(resources) == {SECRET_ARNS[name] for name in names}, function_id
    # Then the functions that only send links (assign, outbound) and score read none: links are stored, not signed
    assert [function_id for function_id, names in SECRETS_READ.items() if names] == ["IntakeFunction",
                                                                                    "FollowupFunction"]
    assert TEMPLATE.logical_ids("AWS::SecretsManager::Secret") == ["LeadwireSecret"]


def test_outbound_may_write_lead_page_links_and_no_other_new_item() -> None:
    [put] = [statement for statement in TEMPLATE.policy_statements("OutboundFunction")
             if "dynamodb:PutItem" in json.dumps(statement["Action"])]
    assert put["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["LINK#*"]}}
    assert schema.rep_link("0" * 64)["pk"].startswith("LINK#")


def test_only_functions_off_the_api_reference_its_url() -> None:
    # The API refers to the intake function, so intake referring back to the API would be a cycle.
    assert "LeadwireApi" not in references(TEMPLATE.function("IntakeFunction").properties["Environment"])
    for function_id in ("ScoreFunction", "AssignFunction", "FollowupFunction", "OutboundFunction"):
        assert "LeadwireApi" in references(TEMPLATE.function(function_id).environment["PUBLIC_BASE_URL"])


def test_secrets_live_in_one_secret_with_no_values_in_the_template() -> None:
    props = TEMPLATE.resource("LeadwireSecret")["Properties"]
    placeholder = json.loads(props["GenerateSecretString"]["SecretStringTemplate"])

    assert set(TEMPLATE.secret_keys("LeadwireSecret")) == SECRET_KEYS
    assert "SecretString" not in props
    assert set(placeholder.values()) == {""}
    for spec in TEMPLATE.functions().values():
        assert not SECRET_KEYS & set(spec.environment)
    for name, parameter in TEMPLATE.document["Parameters"].items():
        if re.search(r"secret|token|password|key", name, re.IGNORECASE):
            assert not parameter.get("Default")


# --- least privilege -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_each_function_may_do_exactly_what_it_uses(function_id: str) -> None:
    assert TEMPLATE.policy_templates(function_id) == []  # no DynamoDBCrudPolicy or any other broad template
    assert TEMPLATE.policy_actions(function_id) == ACTIONS[function_id]


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_each_permission_names_its_resource(function_id: str) -> None:
    owners = {"dynamodb": {"LeadsTable"}, "events": {"DomainEventBus"}, "ses": {"SenderEmail"},
              "secretsmanager": {SECRET_ARNS[name] for name in SECRETS_READ[function_id]}}
    for statement in TEMPLATE.policy_statements(function_id):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        services = {action.split(":")[0] for action in actions}
        assert len(services) == 1, statement
        assert "*" not in json.dumps(statement["Resource"]).replace("/index/*", "")
        assert references(statement["Resource"]) - {"AWS::Partition", "AWS::Region", "AWS::AccountId"} == owners[
            services.pop()]


def test_the_public_form_has_a_small_throttle_of_its_own_and_the_webhooks_large_ones() -> None:
    props = TEMPLATE.resource("LeadwireApi")["Properties"]
    routes, default = props["RouteSettings"], props["DefaultRouteSettings"]

    form = routes["POST /leads"]
    webhooks = [routes[f"POST /webhooks/{name}"] for name in ("meta", "google", "typeform", "generic")]
    assert form["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    for webhook in webhooks:  # a form flood empties only its own bucket
        assert webhook["ThrottlingRateLimit"] > 5 * form["ThrottlingRateLimit"]
        assert webhook["ThrottlingBurstLimit"] >= default["ThrottlingBurstLimit"]
    assert set(routes) <= {f"{method} {path}" for method, path in ROUTES}


def test_the_domain_events_bus_is_our_own() -> None:
    assert TEMPLATE.resource("DomainEventBus")["Type"] == "AWS::Events::EventBus"
    assert TEMPLATE.function("IntakeFunction").environment["EVENT_BUS_NAME"] == {"Ref": "DomainEventBus"}


# --- the HTTP API ----------------------------------------------------------------------------------------------
def test_the_api_serves_every_route_through_intake_and_nothing_local() -> None:
    routes = TEMPLATE.routes()

    assert {(route.method, route.path) for route in routes} == ROUTES
    assert len(routes) == len(ROUTES)
    assert {route.function_id for route in routes} == {"IntakeFunction"}
    assert {route.payload_format for route in routes} == {"2.0"}
    assert not [route for route in routes if route.path.startswith("/_local")]
    for event in TEMPLATE.function("IntakeFunction").properties["Events"].values():
        assert event["Properties"]["ApiId"] == {"Ref": "LeadwireApi"}


def test_cors_origins_come_from_the_parameter_without_credentials() -> None:
    cors = TEMPLATE.resource("LeadwireApi")["Properties"]["CorsConfiguration"]

    assert cors["AllowOrigins"] == {"Ref": "CorsOrigins"}
    assert cors["AllowCredentials"] is False
    assert TEMPLATE.document["Parameters"]["CorsOrigins"]["Type"] == "CommaDelimitedList"


# --- observability and outputs ---------------------------------------------------------------------------------
def alarms_on(metric: str) -> dict[str, set[str]]:
    """Alarm logical id → the resources its dimensions point at, for alarms on one metric."""
    found = {}
    for logical_id in TEMPLATE.logical_ids("AWS::CloudWatch::Alarm"):
        props = TEMPLATE.resource(logical_id)["Properties"]
        if props["MetricName"] == metric:
            found[logical_id] = references(props["Dimensions"])
    return found


def test_alarms_watch_the_dead_letter_queue_errors_and_stream_lag() -> None:
    assert list(alarms_on("ApproximateNumberOfMessagesVisible").values()) == [{"DeadLetterQueue"}]
    dlq_alarm = TEMPLATE.resource("DeadLetterQueueAlarm")["Properties"]
    assert (dlq_alarm["Threshold"], dlq_alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert sorted(ref for refs in alarms_on("Errors").values() for ref in refs) == sorted(FUNCTIONS)
    assert sorted(ref for refs in alarms_on("IteratorAge").values() for ref in refs) == sorted(STREAM_CONSUMERS)
    assert TEMPLATE.resource("AlarmTopic")["Condition"] == "HasAlarmEmail"
    assert TEMPLATE.logical_ids("AWS::CloudWatch::Dashboard") == ["Dashboard"]


def in_tier(logical_id: str, tier: str) -> bool:
    """Whether a resource exists with Observability=tier (only the FullObservability condition decides it here)."""
    condition = TEMPLATE.resource(logical_id).get("Condition")
    assert condition in (None, "FullObservability", "HasAlarmEmail"), f"{logical_id}: unexpected {condition}"
    return condition != "FullObservability" or tier == "full"


def test_observability_is_a_parameter_basic_by_default() -> None:
    parameter = TEMPLATE.document["Parameters"]["Observability"]

    assert (parameter["Default"], parameter["AllowedValues"]) == ("basic", ["basic", "full"])
    assert TEMPLATE.document["Conditions"]["FullObservability"] == {
        "Fn::Equals": [{"Ref": "Observability"}, "full"]}


def test_the_basic_tier_keeps_only_the_alarms_an_owner_needs() -> None:
    # Given the alarms that exist without the full tier
    alarms = TEMPLATE.logical_ids("AWS::CloudWatch::Alarm")
    basic = {logical_id for logical_id in alarms if in_tier(logical_id, "basic")}

    # Then: the dead-letter queue (where score's and assign's failing batches end), errors of the functions whose
    # failures reach no queue, and one alarm on what needs a person (stuck leads, Meta leads the webhook missed, a
    # Page that stopped sending them: counted from the sweep's log lines), $0.10 a month each, nothing else
    watched = {TEMPLATE.resource(logical_id)["Properties"]["MetricName"]: set() for logical_id in basic}
    for logical_id in basic:
        props = TEMPLATE.resource(logical_id)["Properties"]
        watched[props["MetricName"]] |= references(props.get("Dimensions", []))
    assert watched == {"ApproximateNumberOfMessagesVisible": {"DeadLetterQueue"},
                       "Errors": {"IntakeFunction", "FollowupFunction"}, "NeedsAttention": set()}
    assert len(basic) == 4
    assert not any(in_tier(logical_id, "basic") for logical_id in TEMPLATE.logical_ids("AWS::CloudWatch::Dashboard"))
    assert TEMPLATE.document["Outputs"]["DashboardName"]["Condition"] == "FullObservability"


FILTER_COMPARISON = r'\$\.(\w+)\s*(!=|>=|<=|=|>|<)\s*("[^"]*"|-?\d+(?:\.\d+)?)'


def json_filter_matches(pattern: str, event: dict[str, Any]) -> bool:
    """The JSON metric filter patterns the template uses: `{ ($.a = "text") || ($.b > 0) && ... }`, with comparisons
    of a top-level field to a quoted string or a number, && binding tighter than ||, and parentheses."""
    body = pattern.strip().removeprefix("{").removesuffix("}")
    tokens = [match.group(0) for match in re.finditer(r"\(|\)|\|\||&&|" + FILTER_COMPARISON, body)]
    assert "".join(tokens).replace(" ", "") == re.sub(r"\s", "", body), f"unsupported: {pattern}"
    position = 0

    def comparison(token: str) -> bool:
        field, operator, value = re.fullmatch(FILTER_COMPARISON, token).groups()  # type: ignore[union-attr]
        if field not in event:
            return False
        found = event[field]
        if value.startswith('"'):
            return (found == value[1:-1]) == (operator == "=") if operator in ("=", "!=") else False
        if isinstance(found, bool) or not isinstance(found, int | float):
            return False
        number = float(value)
        return {"=": found == number, "!=": found != number, ">": found > number, "<": found < number,
                ">=": found >= number, "<=": found <= number}[operator]

    def primary() -> bool:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            value = either()
            assert tokens[position] == ")"
            position += 1
            return value
        return comparison(token)

    def joined(operator: str, operand: Callable[[], bool]) -> bool:
        """Operands joined by `operator` (every operand is read, as the pattern is: no short cut)."""
        nonlocal position
        values = [operand()]
        while position < len(tokens) and tokens[position] == operator:
            position += 1
            values.append(operand())
        return all(values) if operator == "&&" else any(values)

    def both() -> bool:
        return joined("&&", primary)

    def either() -> bool:
        return joined("||", both)

    matched = either()
    assert position == len(tokens), f"unparsed: {tokens[position:]}"
    return matched


def test_the_filter_pattern_reader_of_these_tests_reads_what_cloudwatch_would() -> None:
    line = {"message": "Meta leads recovered by poll", "recovered": 3, "level": "WARNING"}
    assert json_filter_matches('{ $.message = "Meta leads recovered by poll" }', line)
    assert json_filter_matches('{ ($.message = "x") || ($.recovered > 2) }', line)
    assert not json_filter_matches('{ ($.message = "x") || ($.recovered > 3) }', line)
    assert not json_filter_matches('{ ($.level = "WARNING") && ($.missing = "y") }', line)
    assert json_filter_matches('{ ($.level != "ERROR") && (($.recovered = 3) || ($.nothing = 1)) }', line)
    with pytest.raises(AssertionError):
        json_filter_matches('{ $.message = %x% }', line)


def needs_attention_from(lines: list[dict[str, Any]]) -> float:
    """What the template's metric filters add to NeedsAttention for these log lines of the follow-up function."""
    total = 0.0
    for logical_id in TEMPLATE.logical_ids("AWS::Logs::MetricFilter"):
        props = TEMPLATE.resource(logical_id)["Properties"]
        if props["LogGroupName"] != {"Ref": "FollowupLogGroup"}:
            continue
        for transformation in props["MetricTransformations"]:
            if transformation["MetricName"] != "NeedsAttention":
                continue
            value = str(transformation["MetricValue"])
            for line in lines:
                if json_filter_matches(props["FilterPattern"], line):
                    total += float(line[value.removeprefix("$.")] if value.startswith("$.") else value)
    return total


def powertools_lines(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The JSON lines Powertools' logger writes (as every function logs) for these warning calls."""
    import io
    import logging

    from aws_lambda_powertools import Logger

    written = io.StringIO()  # a service of its own: Powertools keeps the first handler a service's logger was given
    logger = Logger(service="leadwire-template-test-filters", logger_handler=logging.StreamHandler(written))
    for message, extra in calls:
        logger.warning(message, extra=extra)
    return [json.loads(line) for line in written.getvalue().splitlines()]


def test_what_needs_a_person_raises_one_alarm_on_every_tier_from_the_sweeps_log_lines() -> None:
    from leadwire.followup import sweep
    from leadwire.intake import reconcile

    # Given the log lines the sweep writes for a stuck lead, a Page without our subscription and 3 recovered leads,
    # beside lines that must not count (the same words elsewhere, nothing recovered, a subscription present)
    counted = [("lead parked as stuck", {"lead_id": "L1"}),
               ("Meta Page not subscribed to leadgen", {"page_id": "P1", "subscription": "missing"}),
               ("Meta leads recovered by poll", {"form_id": "F1", "recovered": 3})]
    ignored = [("lead parked", {"lead_id": "L2", "note": "lead parked as stuck"}),
               ("Meta leads recovered by poll", {"form_id": "F2", "recovered": 0}),
               ("Meta Page checked", {"page_id": "P2", "subscription": "present"})]
    for message, extra in counted:  # the lines the filters count are the ones the code writes
        source = Path(sweep.__file__ if message.startswith("lead") else reconcile.__file__).read_text()
        assert f'"{message}"' in source
        assert all(f'"{key}"' in source for key in extra)

    # When Powertools writes them as the functions do
    lines = powertools_lines(counted + ignored)
    assert [line["message"] for line in lines] == [message for message, _ in counted + ignored]

    # Then the filters on the follow-up log group add 1 + 1 + 3 to NeedsAttention, and nothing for the others
    assert needs_attention_from(lines) == 5
    assert [needs_attention_from([line]) for line in lines] == [1, 1, 3, 0, 0, 0]

    # and every filter feeds the one metric (namespace leadwire, no dimensions) and sends nothing while nothing
    # matches (no DefaultValue: a quiet month costs no metric), on every tier, watched by one alarm
    filters = TEMPLATE.logical_ids("AWS::Logs::MetricFilter")
    transformations = [transformation for logical_id in filters
                       for transformation in TEMPLATE.resource(logical_id)["Properties"]["MetricTransformations"]]
    assert {(item["MetricNamespace"], item["MetricName"]) for item in transformations} == {
        ("leadwire", "NeedsAttention")}
    assert not [item for item in transformations if "DefaultValue" in item or "Dimensions" in item]
    assert all(in_tier(logical_id, "basic") for logical_id in filters)
    [alarm_id] = [logical_id for logical_id in TEMPLATE.logical_ids("AWS::CloudWatch::Alarm")
                  if TEMPLATE.resource(logical_id)["Properties"]["MetricName"] == "NeedsAttention"]
    alarm = TEMPLATE.resource(alarm_id)
    props = alarm["Properties"]
    assert (props["Namespace"], props["Statistic"], props["Threshold"], props["ComparisonOperator"]) == (
        "leadwire", "Sum", 0, "GreaterThanThreshold")
    assert "Dimensions" not in props and in_tier(alarm_id, "basic")
    assert sorted(alarm["DependsOn"]) == sorted(filters)
    # its description tells the owner where to look for each cause
    for where in ("GET /leads?stuck=true", "GET /sources/health", "Meta sources screen"):
        assert where in props["AlarmDescription"]


def test_the_full_tier_adds_the_dashboard_and_the_stream_lag_alarms() -> None:
    full_only = {logical_id for logical_id in TEMPLATE.resources
                 if TEMPLATE.resource(logical_id).get("Condition") == "FullObservability"}

    assert full_only == {"Dashboard", *alarms_on("IteratorAge"), *alarms_on("WebhooksFailed"),
                         *(alarm for alarm, refs in alarms_on("Errors").items() if refs <= set(STREAM_CONSUMERS))}


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_custom_metrics_are_emitted_only_on_the_full_tier(function_id: str) -> None:
    disabled = TEMPLATE.function(function_id).environment["POWERTOOLS_METRICS_DISABLED"]

    assert disabled == {"Fn::If": ["FullObservability", "false", "true"]}


def test_outputs_name_what_an_owner_needs() -> None:
    outputs = TEMPLATE.document["Outputs"]

    assert {"ApiUrl", "TableName", "EventBusName", "DeadLetterQueueUrl", "DeadLetterQueueArn", "SecretArn"} <= set(
        outputs)
