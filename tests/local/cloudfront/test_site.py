"""The site server (CloudFront's stand-in) over real HTTP, serving S3 objects held by moto."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.services.cloudfront import server as site
from local.services.cloudfront.server import SiteServer
from tests.local.gateway_support import ROOT, LoopThread, MotoServer, Reply, http, loop_thread, moto_server

SITE_BUCKET = "postcards-site-123456789012"
MEDIA_BUCKET = "postcards-media-123456789012"
POLICY_ID = "security-headers-1"
CSP = "default-src 'self'; connect-src 'self' http://api.postcards.localhost:4580"
INDEX = b"<!doctype html><title>Postcards</title>" + b"<p>hello</p>" * 200
STRIP_MEDIA = (ROOT / "terraform/modules/site/cloudfront-functions/strip-media-prefix.js").read_text()


def _behavior(origin: str, **extra: Any) -> dict[str, Any]:
    return {
        "TargetOriginId": origin,
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
        "Compress": True,
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        "ResponseHeadersPolicyId": POLICY_ID,
        **extra,
    }


def _deploy(moto: MotoServer) -> tuple[str, str]:
    s3 = moto.client("s3")
    for bucket in (SITE_BUCKET, MEDIA_BUCKET):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket=SITE_BUCKET,
        Key="index.html",
        Body=INDEX,
        ContentType="text/html; charset=utf-8",
        CacheControl="no-cache",
    )
    s3.put_object(
        Bucket=SITE_BUCKET,
        Key="app.js",
        Body=b"console.log('hi')",
        ContentType="text/javascript; charset=utf-8",
    )
    s3.put_object(
        Bucket=SITE_BUCKET, Key="404.html", Body=b"<p>lost</p>", ContentType="text/html; charset=utf-8"
    )
    s3.put_object(
        Bucket=MEDIA_BUCKET, Key="thumbnails/abc.webp", Body=b"RIFF....WEBPVP8 ", ContentType="image/webp"
    )

    cloudfront = moto.client("cloudfront")
    function = cloudfront.create_function(
        Name="postcards-strip-media-prefix",
        FunctionConfig={"Comment": "strip /media", "Runtime": "cloudfront-js-2.0"},
        FunctionCode=STRIP_MEDIA.encode(),
    )
    function_arn = function["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "postcards",
            "Comment": "postcards site",
            "Enabled": True,
            "Aliases": {"Quantity": 1, "Items": ["www.postcards.localhost"]},
            "DefaultRootObject": "index.html",
            "Origins": {
                "Quantity": 2,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": f"{SITE_BUCKET}.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    },
                    {
                        "Id": "media",
                        "DomainName": f"{MEDIA_BUCKET}.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    },
                ],
            },
            "DefaultCacheBehavior": _behavior("site"),
            "CacheBehaviors": {"Quantity": 1, "Items": [_behavior("media", PathPattern="/media/*")]},
            "CustomErrorResponses": {
                "Quantity": 1,
                "Items": [{"ErrorCode": 404, "ResponsePagePath": "/404.html", "ResponseCode": "404"}],
            },
        }
    )
    return distribution["Distribution"]["Id"], function_arn


def _state(path: Path, distribution_id: str, function_arn: str) -> Path:
    """What Terraform sent that moto drops: the function association and the headers policy."""
    association = [{"event_type": "viewer-request", "function_arn": function_arn}]
    resources = [
        {
            "mode": "managed",
            "type": "aws_cloudfront_distribution",
            "name": "site",
            "module": "module.site",
            "instances": [
                {
                    "attributes": {
                        "id": distribution_id,
                        "default_cache_behavior": [{"function_association": []}],
                        "ordered_cache_behavior": [
                            {"path_pattern": "/media/*", "function_association": association}
                        ],
                    }
                }
            ],
        },
        {
            "mode": "managed",
            "type": "aws_cloudfront_response_headers_policy",
            "name": "security",
            "module": "module.site",
            "instances": [
                {
                    "index_key": 0,
                    "attributes": {
                        "id": POLICY_ID,
                        "security_headers_config": [
                            {
                                "content_security_policy": [
                                    {"content_security_policy": CSP, "override": True}
                                ],
                                "strict_transport_security": [
                                    {
                                        "access_control_max_age_sec": 63072000,
                                        "include_subdomains": True,
                                        "preload": True,
                                        "override": True,
                                    }
                                ],
                                "content_type_options": [{"override": True}],
                                "frame_options": [{"frame_option": "DENY", "override": True}],
                                "referrer_policy": [
                                    {"referrer_policy": "strict-origin-when-cross-origin", "override": True}
                                ],
                                "xss_protection": [
                                    {
                                        "protection": True,
                                        "mode_block": True,
                                        "override": True,
                                        "report_uri": "",
                                    }
                                ],
                            }
                        ],
                        "custom_headers_config": [
                            {
                                "items": [
                                    {"header": "Permissions-Policy", "value": "camera=()", "override": True}
                                ]
                            }
                        ],
                    },
                }
            ],
        },
    ]
    path.write_text(json.dumps({"version": 4, "resources": resources}))
    return path


@dataclass
class Served:
    server: SiteServer
    loop: LoopThread

    def get(self, path: str, method: str = "GET", **kwargs: Any) -> Reply:
        return http(self.loop, method, self.server.url + path, **kwargs)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    for moto in moto_server():
        for loop in loop_thread():
            distribution_id, function_arn = _deploy(moto)
            state = _state(
                tmp_path_factory.mktemp("state") / "terraform.tfstate", distribution_id, function_arn
            )
            server = loop.run(
                site.start(moto.url, port=0, terraform_state=state, alias="www.postcards.localhost")
            )
            try:
                yield Served(server, loop)
            finally:
                loop.run(server.stop())


def test_root_serves_the_default_root_object_with_its_metadata(served: Served) -> None:
    reply = served.get("/", headers={"Accept-Encoding": "identity"})

    assert reply.status == 200
    assert reply.body == INDEX
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reply.headers["Cache-Control"] == "no-cache"
    assert reply.headers["ETag"]
    assert reply.headers["X-Cache"] == "Miss from cloudfront"


def test_files_keep_their_content_type(served: Served) -> None:
    reply = served.get("/app.js")

    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/javascript; charset=utf-8"


def test_the_response_headers_policy_is_applied(served: Served) -> None:
    headers = served.get("/app.js").headers

    assert headers["Content-Security-Policy"] == CSP
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-XSS-Protection"] == "1; mode=block"
    assert headers["Permissions-Policy"] == "camera=()"


def test_media_comes_from_the_media_bucket_through_the_viewer_request_function(served: Served) -> None:
    reply = served.get("/media/thumbnails/abc.webp")

    assert reply.status == 200
    assert reply.body == b"RIFF....WEBPVP8 "
    assert reply.headers["Content-Type"] == "image/webp"


def test_a_missing_object_gets_the_custom_error_page(served: Served) -> None:
    reply = served.get("/nope.html")

    assert reply.status == 404
    assert reply.body == b"<p>lost</p>"


def test_head_and_ranges_and_conditional_requests(served: Served) -> None:
    head = served.get("/app.js", method="HEAD")
    ranged = served.get("/app.js", headers={"Range": "bytes=0-6"})
    etag = served.get("/app.js").headers["ETag"]
    unchanged = served.get("/app.js", headers={"If-None-Match": etag})

    assert head.status == 200
    assert head.body == b""
    assert head.headers["Content-Length"] == str(len(b"console.log('hi')"))
    assert ranged.status == 206
    assert ranged.body == b"console"
    assert unchanged.status == 304


def test_text_is_compressed_for_clients_that_accept_it(served: Served) -> None:
    reply = served.get("/index.html", headers={"Accept-Encoding": "gzip"})

    assert reply.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(reply.body) == INDEX


def test_methods_the_behaviour_does_not_allow_are_refused(served: Served) -> None:
    assert served.get("/index.html", method="POST", data=b"x").status == 403


def test_sources_say_where_each_part_came_from(served: Served) -> None:
    sources = served.server.distribution.sources

    assert sources["function associations"] == "Terraform state"
    assert sources["function code"] == "control plane"
    assert sources["response headers policy"] == "Terraform state"


@pytest.fixture
def with_https_port(served: Served) -> Iterator[int]:
    """The server as ``make up`` runs it: with an HTTPS port to send plain-HTTP viewers to."""
    served.server.https_port = 4443
    try:
        yield 4443
    finally:
        served.server.https_port = None


def test_plain_http_for_an_alias_follows_the_viewer_protocol_policy(
    served: Served, with_https_port: int
) -> None:
    # A plain-HTTP request for the alias, under a redirect-to-https behaviour
    reply = served.get("/app.js?v=1", headers={"Host": "www.postcards.localhost:4590"})

    assert reply.status == 301
    assert reply.headers["Location"] == f"https://www.postcards.localhost:{with_https_port}/app.js?v=1"
    # By address, which no certificate names, the request is served as it is
    assert served.get("/app.js").status == 200


def test_without_an_https_port_nothing_is_redirected(served: Served) -> None:
    assert served.get("/app.js", headers={"Host": "www.postcards.localhost"}).status == 200
