"""The whole Terraform root applied to moto: what it created is what the design says, a second
plan has nothing to do, and destroy removes it. The fixture plans again before any test and destroys
after all of them, so the tests may run in any order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.terraform.conftest import ARCH, CONTAINER_API_URL, DOMAIN, AppliedStack

pytestmark = [
    pytest.mark.slow,
    # python-terraform 0.10.1 logs a failed command with Logger.warn, deprecated since Python 3.3.
    pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning"),
]


def test_outputs_name_the_stack(applied_stack: AppliedStack) -> None:
    # Given the applied root, when its outputs are read, then they point at the custom domains.
    assert applied_stack.output("api_url") == f"https://api.{DOMAIN}"
    assert applied_stack.output("site_url") == f"https://www.{DOMAIN}"
    assert applied_stack.output("execute_api_url").endswith("/live")
    assert set(applied_stack.output("function_names")) == {"postcards", "thumbnails", "housekeeping"}
    print(f"\napply took {applied_stack.apply_seconds:.1f} s")


def test_api_custom_domain_is_tls_1_2_and_mapped_to_the_stage(applied_stack: AppliedStack) -> None:
    apigw = applied_stack.client("apigateway")
    domain = apigw.get_domain_name(domainName=f"api.{DOMAIN}")
    assert domain["securityPolicy"] == "TLS_1_2"
    assert domain["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert domain["regionalCertificateArn"].startswith("arn:aws:acm:us-east-1:")

    mappings = apigw.get_base_path_mappings(domainName=f"api.{DOMAIN}")["items"]
    assert [(m["restApiId"], m["stage"]) for m in mappings] == [
        (applied_stack.output("rest_api_id"), applied_stack.output("api_stage_name"))
    ]
    stage = apigw.get_stage(restApiId=applied_stack.output("rest_api_id"), stageName="live")
    assert stage["tracingEnabled"] is True


def test_api_routes_reach_the_live_alias_and_the_container_api(applied_stack: AppliedStack) -> None:
    apigw = applied_stack.client("apigateway")
    api_id = applied_stack.output("rest_api_id")
    resources = {r["path"]: r for r in apigw.get_resources(restApiId=api_id, limit=500)["items"]}
    assert {"/v1/health", "/v1/postcards", "/v1/postcards/{id}", "/v1/uploads", "/legacy/{proxy+}"} <= set(
        resources
    )

    health = apigw.get_integration(
        restApiId=api_id, resourceId=resources["/v1/health"]["id"], httpMethod="GET"
    )
    assert health["type"].upper() == "AWS_PROXY"  # moto keeps the document's spelling; AWS upper-cases
    assert applied_stack.output("functions")["postcards"]["alias_arn"] in health["uri"]
    # moto files x-amazon-apigateway-any-method under a method of that literal name instead of ANY,
    # so the /legacy integration itself is checked in terraform test (tests/api.tftest.hcl).
    assert resources["/legacy/{proxy+}"]["resourceMethods"]


def test_functions_are_traced_and_invoked_through_live_aliases(applied_stack: AppliedStack) -> None:
    lam = applied_stack.client("lambda")
    for key, fn in applied_stack.output("functions").items():
        config = lam.get_function_configuration(FunctionName=fn["name"])
        assert config["TracingConfig"]["Mode"] == "Active", key
        assert config["Architectures"] == [ARCH], key
        assert [layer["Arn"] for layer in config["Layers"]] == [applied_stack.output("layer_version_arn")], (
            key
        )
        alias = lam.get_alias(FunctionName=fn["name"], Name="live")
        assert alias["FunctionVersion"] == fn["version"] != "$LATEST", key

    env = lam.get_function_configuration(FunctionName=applied_stack.output("function_names")["postcards"])[
        "Environment"
    ]["Variables"]
    assert env["POSTCARDS_TABLE"] == applied_stack.output("tables")["postcards"]["name"]
    assert env["MEDIA_BASE_URL"] == f"https://www.{DOMAIN}/media"
    assert env["SITE_ORIGIN"] == f"https://www.{DOMAIN}"
    # The cursor key is not in the environment (nor in the state): only its SecureString's name.
    assert "CURSOR_SIGNING_KEY" not in env
    assert env["CURSOR_SIGNING_KEY_PARAMETER"] == applied_stack.output("cursor_signing_key_parameter")


def test_the_cursor_key_is_a_secure_string_kept_out_of_the_state(applied_stack: AppliedStack) -> None:
    name = applied_stack.output("cursor_signing_key_parameter")
    parameter = applied_stack.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert len(parameter["Value"]) == 64  # sha256 hex of two v4 UUIDs
    state = (Path(applied_stack.tf.working_dir) / "terraform.tfstate").read_text()
    assert parameter["Value"] not in state


def test_the_api_gateway_account_names_the_stacks_logging_role(applied_stack: AppliedStack) -> None:
    # A new account has no CloudWatch role; stage logging needs one, so the stack sets it.
    account = applied_stack.client("apigateway").get_account()
    assert account["cloudwatchRoleArn"].endswith(":role/postcards-prod-apigateway-cloudwatch")


def test_the_execution_log_group_is_terraforms_with_a_retention(applied_stack: AppliedStack) -> None:
    name = applied_stack.output("api_log_groups")["execution"]
    assert name == f"API-Gateway-Execution-Logs_{applied_stack.output('rest_api_id')}/live"
    groups = applied_stack.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [(name, 30)]


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(applied_stack: AppliedStack) -> None:
    sns, kms = applied_stack.client("sns"), applied_stack.client("kms")
    topic = applied_stack.output("alarm_topic_arn")
    key_id = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"]
    assert key_id != "alias/aws/sns"
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    admitted = [
        s for s in policy["Statement"] if s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"
    ]
    assert admitted
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(admitted[0]["Action"])


def test_async_functions_may_send_failed_events_to_their_own_queue(applied_stack: AppliedStack) -> None:
    # Given the applied stack, when each async function's role policy is read, then it lets the
    # function send to its failure queue, named by the queue's real ARN (the policy builds the ARN
    # from the name, so that the functions need not wait for the queues).
    iam, sqs = applied_stack.client("iam"), applied_stack.client("sqs")
    queues = applied_stack.output("failure_queues")
    assert set(queues) == {"thumbnails", "housekeeping"}
    for key, queue in queues.items():
        arn = sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        role = applied_stack.output("function_names")[key]
        policy = iam.get_role_policy(RoleName=role, PolicyName="least-privilege")["PolicyDocument"]
        document = json.loads(policy) if isinstance(policy, str) else policy
        granted = [s for s in document["Statement"] if s.get("Sid") == "SendFailedEvents"]
        assert [statement["Resource"] for statement in granted] == [arn], key


def test_the_defaults_reserve_no_concurrency(applied_stack: AppliedStack) -> None:
    # A new account's quota (often 10) must all stay unreserved: the defaults reserve nothing.
    lam = applied_stack.client("lambda")
    names = applied_stack.output("function_names")
    reserved = {
        key: lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
        for key, name in names.items()
    }
    assert reserved == {"postcards": None, "thumbnails": None, "housekeeping": None}


def test_uploads_trigger_the_thumbnail_alias(applied_stack: AppliedStack) -> None:
    s3 = applied_stack.client("s3")
    config = s3.get_bucket_notification_configuration(Bucket=applied_stack.output("media_bucket"))
    [target] = config["LambdaFunctionConfigurations"]
    assert target["LambdaFunctionArn"] == applied_stack.output("functions")["thumbnails"]["alias_arn"]
    assert target["Events"] == ["s3:ObjectCreated:*"]
    [rule] = target["Filter"]["Key"]["FilterRules"]
    assert (rule["Name"].lower(), rule["Value"]) == ("prefix", "uploads/")

    policy = json.loads(
        applied_stack.client("lambda").get_policy(
            FunctionName=applied_stack.output("function_names")["thumbnails"], Qualifier="live"
        )["Policy"]
    )
    assert [s["Principal"]["Service"] for s in policy["Statement"]] == ["s3.amazonaws.com"]


def test_cloudfront_reads_both_buckets_through_oac(applied_stack: AppliedStack) -> None:
    cloudfront = applied_stack.client("cloudfront")
    distribution = cloudfront.get_distribution(Id=applied_stack.output("distribution_id"))["Distribution"]
    config = distribution["DistributionConfig"]
    [oac] = cloudfront.list_origin_access_controls()["OriginAccessControlList"]["Items"]
    assert {o["Id"]: o["OriginAccessControlId"] for o in config["Origins"]["Items"]} == {
        "site": oac["Id"],
        "media": oac["Id"],
    }
    assert config["Aliases"]["Items"] == [f"www.{DOMAIN}"]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    [media] = config["CacheBehaviors"]["Items"]
    assert media["PathPattern"] == "/media/*"
    assert media["FunctionAssociations"]["Items"][0]["EventType"] == "viewer-request"
    assert distribution["DomainName"] == applied_stack.output("distribution_domain_name")


def test_site_bucket_holds_the_generated_config(applied_stack: AppliedStack) -> None:
    s3 = applied_stack.client("s3")
    obj = s3.get_object(Bucket=applied_stack.output("site_bucket"), Key="config.json")
    assert obj["ContentType"] == "application/json"
    assert json.loads(obj["Body"].read()) == {
        "api_url": f"https://api.{DOMAIN}",
        "container_api_url": CONTAINER_API_URL,
        # for the site's Lambda lab: the API function's concurrency with the root's defaults
        "api_function": {
            "name": applied_stack.output("functions")["postcards"]["name"],
            "alias": "live",
            "reserved_concurrency": None,
            "provisioned_concurrency": 0,
        },
    }


def test_tables_have_their_indexes_and_recovery(applied_stack: AppliedStack) -> None:
    ddb = applied_stack.client("dynamodb")
    tables = applied_stack.output("tables")
    postcards = ddb.describe_table(TableName=tables["postcards"]["name"])["Table"]
    uploads = ddb.describe_table(TableName=tables["uploads"]["name"])["Table"]
    assert [i["IndexName"] for i in postcards["GlobalSecondaryIndexes"]] == ["feed-index"]
    assert [i["IndexName"] for i in uploads["GlobalSecondaryIndexes"]] == ["status-index"]
    ttl = ddb.describe_time_to_live(TableName=tables["idempotency"]["name"])["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiration"
    for table in tables.values():
        backups = ddb.describe_continuous_backups(TableName=table["name"])["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_dns_names_point_at_the_api_and_the_distribution(applied_stack: AppliedStack) -> None:
    route53 = applied_stack.client("route53")
    records = route53.list_resource_record_sets(HostedZoneId=applied_stack.output("hosted_zone_id"))[
        "ResourceRecordSets"
    ]
    aliases = {(r["Name"], r["Type"]) for r in records if "AliasTarget" in r}
    assert aliases == {
        (f"api.{DOMAIN}.", "A"),  # a REGIONAL API endpoint has no IPv6: no AAAA
        (f"www.{DOMAIN}.", "A"),
        (f"www.{DOMAIN}.", "AAAA"),
    }


def test_a_second_plan_has_nothing_to_do(applied_stack: AppliedStack) -> None:
    # Given the stack just applied and an unchanged build, when Terraform planned again (in the
    # fixture, before any test), then -detailed-exitcode said 0: no drift, no churn (hashes,
    # trigger, signing key). The destroy and its check run in the fixture's teardown.
    code, out, err = applied_stack.second_plan
    assert code == 0, f"plan wants changes (exit {code}):\n{out[-6000:]}\n{err}"
