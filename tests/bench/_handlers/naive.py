"""Reference *naive* handler: the same feed page, written the way many first Lambda handlers are,
with everything imported and created eagerly at module level: every Powertools utility this layer
can import (all but those needing pydantic/fastjsonschema, which it does not ship), X-Ray's
``patch_all()``, boto3 *resources* for DynamoDB and S3, an idempotency persistence layer, Pillow."""

import os

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer, middleware_factory
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.utilities import (
    batch,
    data_classes,
    feature_flags,
    jmespath_utils,
    parameters,
    streaming,
)
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from aws_xray_sdk.core import patch_all
from boto3.dynamodb.conditions import Key
from PIL import Image, ImageOps

# Everything above is loaded whether this request needs it or not: that is the point of this handler.
EAGERLY_LOADED = (
    middleware_factory,
    batch,
    data_classes,
    feature_flags,
    jmespath_utils,
    parameters,
    streaming,
)
EAGERLY_LOADED_IMAGING = (Image, ImageOps)

patch_all()

logger = Logger()
tracer = Tracer()
metrics = Metrics()
dynamodb = boto3.resource("dynamodb")
postcards = dynamodb.Table(os.environ["POSTCARDS_TABLE"])
s3 = boto3.resource("s3")
media = s3.Bucket(os.environ["MEDIA_BUCKET"])
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
idempotency_config = IdempotencyConfig(event_key_jmespath="body")
app = APIGatewayRestResolver(cors=CORSConfig(allow_origin=os.environ["SITE_ORIGIN"]))


@app.get("/v1/postcards")
def list_postcards():
    page = postcards.query(
        IndexName="feed-index",
        KeyConditionExpression=Key("feed").eq("all"),
        ScanIndexForward=False,
        Limit=21,
    )
    return {"items": page["Items"][:20], "next_cursor": None}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
