"""The session's cloud over HTTPS: one port, each name its ACM certificate and TLS policy by SNI, a
certificate served only once its DNS validation records exist, the CA's key private, and plain HTTP
where AWS answers it."""

from __future__ import annotations

import json
import ssl
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.local.cloud_support import RunningCloud
from tests.local.tls.tls_support import handshake, https_get, peer_certificate, subject_alt_names

pytestmark = pytest.mark.slow


def https_port(cloud: RunningCloud) -> int:
    return int(cloud.endpoints["site_browser_url"].rsplit(":", 1)[1])


def admin(cloud: RunningCloud, method: str, path: str) -> Any:
    answer = requests.request(method, f"{cloud.endpoints['apigateway_url']}/_local/{path}", timeout=60)
    assert answer.ok, answer.text
    return answer.json()


@pytest.mark.parametrize(
    ("name", "names"),
    [
        ("api.postcards.localhost", {"api.postcards.localhost"}),
        ("www.postcards.localhost", {"www.postcards.localhost"}),
        ("abc123.execute-api.localhost", {"*.execute-api.localhost"}),
    ],
)
def test_each_name_is_served_its_own_certificate(cloud: RunningCloud, name: str, names: set[str]) -> None:
    # When a client asks the HTTPS port for the name (SNI), trusting the local CA
    certificate = peer_certificate(https_port(cloud), name, Path(cloud.ca_bundle))

    # Then it gets the certificate with that certificate's names, issued by the local CA
    assert subject_alt_names(certificate) == names
    issuer = dict(part[0] for part in certificate["issuer"])  # type: ignore[attr-defined]
    assert issuer["commonName"].startswith("Postcards local CA")


def test_the_api_and_the_site_answer_on_their_names(cloud: RunningCloud) -> None:
    port, ca = https_port(cloud), cloud.ca_bundle

    health = https_get(port, "api.postcards.localhost", ca, "/v1/health")
    by_stage = https_get(
        port, f"{cloud.endpoints['rest_api_id']}.execute-api.localhost", ca, "/live/v1/health"
    )
    page = https_get(port, "www.postcards.localhost", ca, "/")
    media = https_get(port, "www.postcards.localhost", ca, "/media/thumbnails/none.webp")

    assert health.status == 200
    assert json.loads(health.body)["status"] == "ok"
    assert by_stage.status == 200
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains; preload"
    assert media.status in {403, 404}  # the media bucket's answer for a missing key, through CloudFront
    assert "cloudfront" in media.headers["via"].lower()


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("api.postcards.localhost", False),  # the custom domain's security policy: TLS_1_2
        ("www.postcards.localhost", False),  # the distribution's minimum protocol version: TLSv1.2_2021
        ("abc123.execute-api.localhost", True),  # a regional API's default endpoint: TLS_1_0
    ],
)
def test_tls_1_1_is_refused_where_the_policy_says_tls_1_2(
    cloud: RunningCloud, name: str, accepted: bool
) -> None:
    def old_client() -> str:
        return handshake(https_port(cloud), name, Path(cloud.ca_bundle), ssl.TLSVersion.TLSv1_1)

    if accepted:
        assert old_client() == "TLSv1.1"
    else:
        with pytest.raises(ssl.SSLError):
            old_client()
    assert handshake(https_port(cloud), name, Path(cloud.ca_bundle)) == "TLSv1.3"


def test_a_client_without_the_ca_gets_a_verification_error(cloud: RunningCloud) -> None:
    # A client with only the system's roots
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer certificate"):
        handshake(https_port(cloud), "api.postcards.localhost", None)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{cloud.aws_endpoint_url}/", timeout=10)


def test_the_ca_key_is_private_and_kept_outside_the_clone(cloud: RunningCloud, local_ca: Path) -> None:
    bundle = Path(cloud.ca_bundle)

    assert bundle.parent == local_ca
    assert stat.S_IMODE((bundle.parent / "ca-key.pem").stat().st_mode) == 0o600
    assert not bundle.is_relative_to(Path(__file__).resolve().parents[3])


@pytest.fixture
def unvalidated_domain(cloud: RunningCloud) -> Iterator[tuple[str, str, str]]:
    """A second custom domain whose certificate Terraform requested but whose validation record is
    not in the zone yet: (name, certificate ARN, hosted zone id). Removed afterwards."""
    name = f"extra-{uuid.uuid4().hex[:6]}.postcards.localhost"
    acm, apigateway = cloud.client("acm"), cloud.client("apigateway")
    arn = acm.request_certificate(DomainName=name, ValidationMethod="DNS")["CertificateArn"]
    apigateway.create_domain_name(
        domainName=name,
        regionalCertificateArn=arn,
        securityPolicy="TLS_1_2",
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    apigateway.create_base_path_mapping(
        domainName=name, restApiId=cloud.endpoints["rest_api_id"], stage=cloud.endpoints["stage"]
    )
    zone = cloud.endpoints["terraform_outputs"]["hosted_zone_id"]
    try:
        yield name, arn, zone
    finally:
        apigateway.delete_base_path_mapping(domainName=name, basePath="(none)")
        apigateway.delete_domain_name(domainName=name)
        validation_record(cloud, arn, zone, "DELETE", missing_ok=True)
        acm.delete_certificate(CertificateArn=arn)
        admin(cloud, "POST", "apigateway/reload")
        admin(cloud, "POST", "tls/reload")


def validation_record(
    cloud: RunningCloud, arn: str, zone: str, action: str, *, missing_ok: bool = False
) -> None:
    """What Terraform's aws_route53_record.validation does (``UPSERT``), or its destroy (``DELETE``)."""
    option = cloud.client("acm").describe_certificate(CertificateArn=arn)["Certificate"][
        "DomainValidationOptions"
    ][0]
    record = option["ResourceRecord"]
    change = {
        "Action": action,
        "ResourceRecordSet": {
            "Name": record["Name"],
            "Type": record["Type"],
            "TTL": 300,
            "ResourceRecords": [{"Value": record["Value"]}],
        },
    }
    try:
        cloud.client("route53").change_resource_record_sets(
            HostedZoneId=zone, ChangeBatch={"Changes": [change]}
        )
    except cloud.client("route53").exceptions.InvalidChangeBatch:
        if not missing_ok:
            raise


def test_a_certificate_is_served_only_once_its_validation_records_exist(
    cloud: RunningCloud, unvalidated_domain: tuple[str, str, str]
) -> None:
    # Given a custom domain whose certificate's DNS validation record is missing (moto calls it ISSUED)
    name, arn, zone = unvalidated_domain
    port, ca = https_port(cloud), Path(cloud.ca_bundle)
    assert cloud.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED"

    # When the local cloud reads what is deployed
    admin(cloud, "POST", "apigateway/reload")
    described = admin(cloud, "POST", "tls/reload")

    # Then the name is not served with a certificate of its own: a client gets the default one, whose
    # names do not match (as API Gateway answers a name it has no certificate for)
    status = next(c for c in described["certificates"] if c["arn"] == arn)
    assert status["served"] is False
    assert any("not in zone postcards.localhost" in problem for problem in status["problems"])
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        handshake(port, name, ca)

    # When the validation record is published and the cloud looks again
    validation_record(cloud, arn, zone, "UPSERT")
    admin(cloud, "POST", "tls/reload")

    # Then the name has its certificate and reaches the API through its base path mapping
    assert subject_alt_names(peer_certificate(port, name, ca)) == {name}
    assert https_get(port, name, ca, "/v1/health").status == 200


def test_the_sites_name_off_the_https_port_is_redirected_to_it(
    cloud: RunningCloud,
) -> None:
    site_url, port = cloud.endpoints["site_url"], https_port(cloud)
    site_port = int(site_url.rsplit(":", 1)[1])

    # A plain-HTTP request for the alias gets the viewer protocol policy (redirect-to-https)
    redirected = requests.get(
        f"{site_url}/index.html?x=1",
        headers={"Host": f"www.postcards.localhost:{site_port}"},
        allow_redirects=False,
        timeout=10,
    )
    assert redirected.status_code == 301
    assert redirected.headers["Location"] == f"https://www.postcards.localhost:{port}/index.html?x=1"

    # By address (for scripts: no certificate names it) the site is served as it is
    assert requests.get(f"{site_url}/", timeout=10).status_code == 200

    # The same port answers HTTPS for the alias (where a browser that has seen HSTS goes) and sends it
    # on to the HTTPS port, the origin the API's CORS allows
    upgraded = https_get(site_port, "www.postcards.localhost", cloud.ca_bundle, "/?y=2")
    assert upgraded.status == 301
    assert upgraded.headers["location"] == f"https://www.postcards.localhost:{port}/?y=2"


def test_the_https_port_refuses_plain_http_and_the_edge_speaks_both(cloud: RunningCloud) -> None:
    # Plain HTTP to the HTTPS port is told to use https
    refused = requests.get(f"http://127.0.0.1:{https_port(cloud)}/", timeout=10)
    assert refused.status_code == 400
    assert "use https://" in refused.text

    # The edge answers the AWS SDK by HTTPS (verified) and by HTTP (the local cloud's own clients)
    edge = cloud.aws_endpoint_url
    secure = requests.get(f"{edge}/2015-03-31/functions/", timeout=30, verify=cloud.ca_bundle)
    plain = requests.get(f"{edge.replace('https://', 'http://', 1)}/2015-03-31/functions/", timeout=30)
    assert secure.status_code == plain.status_code
    assert secure.status_code < 500
