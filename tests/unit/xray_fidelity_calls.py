"""Run in a fresh interpreter by test_xray_fidelity.py: the same traced handler under the X-Ray SDK
(argv[1] == "sdk", the stock Tracer) or under our provider ("ours"), as on Lambda, against moto;
prints the documents a loopback daemon received, as JSON."""

import contextlib
import json
import os
import socket
import sys

daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
daemon.bind(("127.0.0.1", 0))
daemon.setblocking(False)
os.environ["AWS_XRAY_DAEMON_ADDRESS"] = "{}:{}".format(*daemon.getsockname())
os.environ["_X_AMZN_TRACE_ID"] = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

from aws_lambda_powertools import Tracer  # noqa: E402
from moto import mock_aws  # noqa: E402

from common import aws  # noqa: E402
from common.tracing import make_tracer  # noqa: E402

with mock_aws():
    tracer = Tracer(patch_modules=("botocore",)) if sys.argv[1] == "sdk" else make_tracer()
    ddb = aws.dynamodb()
    ddb.create_table(
        TableName="cards",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    s3 = aws.s3()
    s3.create_bucket(Bucket="media")

    @tracer.capture_method
    def work() -> None:
        ddb.put_item(TableName="cards", Item={"id": {"S": "1"}})
        with contextlib.suppress(ddb.exceptions.ConditionalCheckFailedException):
            ddb.put_item(
                TableName="cards", Item={"id": {"S": "1"}}, ConditionExpression="attribute_not_exists(id)"
            )
        ddb.query(
            TableName="cards",
            KeyConditionExpression="id = :i",
            ExpressionAttributeValues={":i": {"S": "1"}},
            Limit=3,
        )
        s3.put_object(Bucket="media", Key="uploads/a", Body=b"x")
        tracer.put_metadata("seen", {"count": 2})
        raise ValueError("boom")

    @tracer.capture_lambda_handler
    def handler(event: object, context: object) -> None:
        tracer.put_annotation("postcard_id", "p-1")
        work()

    with contextlib.suppress(ValueError):
        handler({}, None)

documents = []
while True:
    try:
        datagram = daemon.recv(70_000)
    except BlockingIOError:
        break
    header, _, body = datagram.partition(b"\n")
    documents.append({"header": json.loads(header), "document": json.loads(body)})
print(json.dumps(documents))
