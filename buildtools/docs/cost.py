"""What the deployment costs, computed: the configured memory, architecture and concurrency (the
root's variable defaults, terraform/variables.tf) times the durations measured here (the committed
bench results in docs/quest/figures/), at AWS's us-east-1 list prices (PRICES, with their pages)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

from buildtools.docs.generated import Generated

_OPTIONS = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
SECONDS_PER_MONTH = 30 * 24 * 3600  # AWS's pricing examples use a 30-day month
MILLION = 1_000_000

# us-east-1 list prices (USD), read from the pages named, December 2026. Free tiers left out.
PRICES: dict[str, float] = {
    "lambda_request": 0.20 / MILLION,  # https://aws.amazon.com/lambda/pricing/
    "lambda_gb_s_arm64": 0.0000133334,
    "lambda_gb_s_x86_64": 0.0000166667,
    "lambda_provisioned_gb_s_arm64": 0.0000033334,  # provisioned concurrency, per GB-s configured
    "lambda_provisioned_gb_s_x86_64": 0.0000041667,
    "lambda_provisioned_duration_gb_s_arm64": 0.0000077778,  # duration on provisioned environments
    "lambda_provisioned_duration_gb_s_x86_64": 0.0000097222,
    "rest_api_request": 3.50 / MILLION,  # https://aws.amazon.com/api-gateway/pricing/ (first 333 M)
    "xray_trace": 5.00 / MILLION,  # https://aws.amazon.com/xray/pricing/ (recorded)
    "alarm_month": 0.10,  # https://aws.amazon.com/cloudwatch/pricing/ (standard resolution)
    "dashboard_month": 3.00,  # beyond the account's first 3
    "hosted_zone_month": 0.50,  # https://aws.amazon.com/route53/pricing/
    "kms_key_month": 1.00,  # https://aws.amazon.com/kms/pricing/ (customer managed key)
}
PRICE_PAGES = {
    "Lambda": "https://aws.amazon.com/lambda/pricing/",
    "API Gateway": "https://aws.amazon.com/api-gateway/pricing/",
    "X-Ray": "https://aws.amazon.com/xray/pricing/",
    "CloudWatch": "https://aws.amazon.com/cloudwatch/pricing/",
    "Route 53": "https://aws.amazon.com/route53/pricing/",
    "KMS": "https://aws.amazon.com/kms/pricing/",
}

FIGURES = Path("docs/quest/figures/lambda_reports.json")  # make figures copies it from build/bench
TIMES, DASH = "\u00d7", "\u2013"  # the page's typography (ruff flags the characters themselves)

TEMPLATE = """# Cost

{generated}"""


@dataclass(frozen=True)
class Config:
    architecture: str
    memory_mb: dict[str, int]
    provisioned: dict[str, int]
    sampling_rate: float
    functions: list[str]
    kms_keys: int  # customer managed keys the configuration creates (each billed monthly)


def kms_keys(terraform: Path) -> int:
    """How many `aws_kms_key` resources the root and its modules declare (tests aside)."""
    return sum(
        tf.read_text(encoding="utf-8").count('resource "aws_kms_key"')
        for tf in terraform.rglob("*.tf")
        if "tests" not in tf.relative_to(terraform).parts
    )


def configuration(terraform: Path) -> Config:
    document = hcl2.loads(
        (terraform / "variables.tf").read_text(encoding="utf-8"), serialization_options=_OPTIONS
    )
    defaults = {name: body.get("default") for block in document["variable"] for name, body in block.items()}
    memory = {k: int(v) for k, v in defaults["function_memory_mb"].items()}
    return Config(
        architecture=str(defaults["architecture"]),
        memory_mb=memory,
        provisioned={k: int(v) for k, v in defaults["provisioned_concurrency"].items()},
        sampling_rate=float(defaults["xray_sampling_rate"]),
        functions=sorted(memory),
        kms_keys=kms_keys(terraform),
    )


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.1 else f"${value:,.4f}"


# Lambda samples what arrives untraced (S3 events, schedules) at 1 request a second and 5 % of the
# rest, not configurable; API calls follow the API's sampling rule (xray_sampling_rate).
# https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
LAMBDA_SAMPLING = 0.05


def gb_s(memory_mb: int, ms: float) -> float:
    return memory_mb / 1024 * ms / 1000


def per_million(config: Config, reports: dict[str, Any], key: str) -> tuple[float, float]:
    """Lambda cost of a million warm invocations of one function: requests and duration (the
    measured median Billed Duration)."""
    billed_ms = reports[key]["warm"]["billed_duration"]["median_ms"]
    duration = MILLION * gb_s(config.memory_mb[key], billed_ms) * PRICES[f"lambda_gb_s_{config.architecture}"]
    return MILLION * PRICES["lambda_request"], duration


def page(config: Config, reports: dict[str, Any], measured_at: str) -> str:
    arch = config.architecture
    lines = [
        f"Computed by `make docs` (`buildtools/docs/cost.py`) from the root's defaults "
        f"(`terraform/variables.tf`: architecture `{arch}`, memory "
        + ", ".join(f"{k} {v} MB" for k, v in sorted(config.memory_mb.items()))
        + f", X-Ray sampling of API calls {config.sampling_rate:.0%}, of S3 events Lambda's 5 %) "
        "and the REPORT lines of "
        f"`make bench BENCH=lambda_reports` ({measured_at}, `docs/quest/figures/lambda_reports.json`), at "
        "us-east-1 list prices ("
        + ", ".join(f"[{n}]({u})" for n, u in PRICE_PAGES.items())
        + "), free tiers "
        "left out. The durations were measured on the local cloud (x86_64, a full core per environment); "
        "on Lambda a 512 MB function gets about a third of a vCPU (a full one at 1769 MB), so CPU-bound "
        "work takes longer there: rerun the bench and `make figures` with durations from your own REPORT "
        "lines to replace these.",
        "",
        "## Per million requests",
        "",
        f"| what | Lambda requests | Lambda duration (median billed ms {TIMES} memory) | API Gateway REST "
        "| X-Ray traces | total |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, what, gateway, sampled in (
        ("postcards", "API calls", MILLION * PRICES["rest_api_request"], config.sampling_rate),
        ("thumbnails", "photos", 0.0, LAMBDA_SAMPLING),
    ):
        xray = MILLION * sampled * PRICES["xray_trace"]
        requests_cost, duration_cost = per_million(config, reports, key)
        billed = reports[key]["warm"]["billed_duration"]["median_ms"]
        total = _usd(requests_cost + duration_cost + gateway + xray)
        api = _usd(gateway) if gateway else DASH
        lines.append(
            f"| {what} (`{key}`, {config.memory_mb[key]} MB, {billed:g} ms) | {_usd(requests_cost)} "
            f"| {_usd(duration_cost)} | {api} | {_usd(xray)} | **{total}** |"
        )
    lines += [
        "",
        "DynamoDB on demand, S3 requests and CloudFront requests come on top, per request and small beside "
        "API Gateway's $3.50; an HTTP API would cost $1.00 a million instead (see "
        "[api-gateway.md](api-gateway.md) for why REST).",
        "",
        "Cold starts: since August 2025 Lambda bills the Init phase of on-demand environments as duration. "
        "Measured Init Durations (median):",
        "",
        "| function | memory | Init Duration | a million cold starts |",
        "|---|---:|---:|---:|",
    ]
    for key in config.functions:
        cold = reports[key]["cold"]
        if not cold["n"]:
            continue
        init_ms = cold["init_duration"]["median_ms"]
        one = gb_s(config.memory_mb[key], init_ms) * PRICES[f"lambda_gb_s_{arch}"]
        lines.append(f"| `{key}` | {config.memory_mb[key]} MB | {init_ms:g} ms | {_usd(one * MILLION)} |")
    hourly = SECONDS_PER_MONTH // 3600
    # An hour apart, each run finds its environment gone and pays (and is billed) a cold start.
    hk_init_ms = (reports["housekeeping"]["cold"].get("init_duration") or {}).get("median_ms", 0.0)
    hk_ms = reports["housekeeping"]["warm"]["billed_duration"]["median_ms"] + hk_init_ms
    hk = hourly * (
        PRICES["lambda_request"]
        + gb_s(config.memory_mb["housekeeping"], hk_ms) * PRICES[f"lambda_gb_s_{arch}"]
    )
    alarms = 2 * len(config.functions) + 2  # errors and throttles per function; API 5xx and p99
    at_rest = [
        (
            "CloudWatch alarms",
            f"{alarms} {TIMES} {_usd(PRICES['alarm_month'])}",
            alarms * PRICES["alarm_month"],
        ),
        ("CloudWatch dashboard", "1, free if the account has fewer than 3 others", PRICES["dashboard_month"]),
        (
            "Route 53 hosted zone",
            "only if this stack creates it (`create_hosted_zone`)",
            PRICES["hosted_zone_month"],
        ),
        (
            "housekeeping schedule",
            f"{hourly} runs {TIMES} {hk_ms:.0f} ms (each a cold start: Init included) at "
            f"{config.memory_mb['housekeeping']} MB",
            hk,
        ),
    ]
    if config.kms_keys:
        at_rest.append(
            (
                "KMS customer managed keys",
                f"{config.kms_keys} (yearly rotation adds $1 a month for each of the first two)",
                config.kms_keys * PRICES["kms_key_month"],
            )
        )
    for key, count in sorted(config.provisioned.items()):
        if count:
            gb = config.memory_mb[key] / 1024 * count * SECONDS_PER_MONTH
            at_rest.append(
                (
                    f"provisioned concurrency `{key}`",
                    f"{count} {TIMES} {config.memory_mb[key]} MB",
                    gb * PRICES[f"lambda_provisioned_gb_s_{arch}"],
                )
            )
    lines += [
        "",
        "## At rest (a month without traffic)",
        "",
        "| what | how many | per month |",
        "|---|---|---:|",
        *(f"| {what} | {how} | {_usd(usd)} |" for what, how, usd in at_rest),
        f"| **total, at most** | | **{_usd(sum(usd for _, _, usd in at_rest))}** |",
        "",
        "Lambda, API Gateway, DynamoDB on demand, CloudFront, ACM's public certificates, SQS and SSM's "
        "standard parameters cost nothing "
        "without traffic; S3 storage and CloudWatch Logs cost what is stored (log groups keep "
        "`log_retention_days`, 30 by default).",
    ]
    if not config.provisioned.get("postcards"):
        usd = (
            config.memory_mb["postcards"]
            / 1024
            * SECONDS_PER_MONTH
            * PRICES[f"lambda_provisioned_gb_s_{arch}"]
        )
        lines += [
            "",
            f"Provisioned concurrency is off by default; one environment of `postcards` kept initialised "
            f"would add {_usd(usd)} a month ({config.memory_mb['postcards']} MB, {arch}), plus its duration "
            "at the provisioned rate.",
        ]
    return "\n".join(lines).rstrip() + "\n"


def cost_page(root: Path) -> Generated:
    figures = json.loads(
        (root / "docs" / "quest" / "figures" / "lambda_reports.json").read_text(encoding="utf-8")
    )
    return Generated(
        path=root / "docs" / "quest" / "cost.md",
        body=page(configuration(root / "terraform"), figures["functions"], figures["measured_at"][:10]),
        source="terraform/variables.tf and docs/quest/figures/lambda_reports.json (buildtools/docs/cost.py)",
        template=TEMPLATE,
    )
