"""Provisioned concurrency: environments initialised ahead of invocations, as configured.

A provisioned concurrency configuration on an alias or version asks for that many environments of
the version it points to, started at once (``AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency``)
and never reaped. The configurations are read from the control plane at start and whenever a Lambda
write goes through the edge; a lowered count stops the idle extras (busy ones when they finish).

https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from local.control_client import ControlPlaneClient, ControlPlaneError
from local.invoke import InvokeError
from local.services.lambda_.environment import InitFailure
from local.services.lambda_.functions import FunctionDirectory, FunctionVersion
from local.services.lambda_.pools import EnvironmentPools, Pool


class ProvisionedConcurrency:
    def __init__(
        self,
        client: ControlPlaneClient,
        directory: FunctionDirectory,
        pools: EnvironmentPools,
        say: Callable[[str], None],
    ) -> None:
        self.client = client
        self.directory = directory
        self.pools = pools
        self.say = say
        self._syncing = asyncio.Lock()

    async def sync(self) -> int:
        """Start the environments that provisioned concurrency configurations ask for, stop those no
        longer asked for; return how many are provisioned. Reads the configurations of every function
        from the control plane (one sync at a time)."""
        async with self._syncing:
            return await self._sync()

    async def _sync(self) -> int:
        wanted: dict[tuple[str, str], tuple[FunctionVersion, int]] = {}
        for name in await self._function_names():
            try:
                document = await self.client.lambda_api(
                    "GET", f"/2019-09-30/functions/{name}/provisioned-concurrency", {"List": "ALL"}
                )
            except ControlPlaneError:
                continue
            for config in document.get("ProvisionedConcurrencyConfigs", []):
                qualifier = config["FunctionArn"].split(":")[7]
                function = await self.directory.resolve(name, qualifier)
                key = (function.arn, function.version)
                count = int(config["RequestedProvisionedConcurrentExecutions"])
                previous = wanted.get(key, (function, 0))[1]
                wanted[key] = (function, previous + count)
        starts = []
        for key, pool in self.pools.by_version.items():
            if key not in wanted:
                pool.provisioned = 0
        for function, count in wanted.values():
            self.pools.pool(function).provisioned = count
        for pool in list(self.pools.by_version.values()):
            provisioned = [e for e in pool.environments if e.init_type == "provisioned-concurrency"]
            starts += [self._provision_one(pool) for _ in range(pool.provisioned - len(provisioned))]
            # Fewer asked for than running: the idle extras go (busy ones finish first, on release).
            excess = max(0, len(provisioned) - pool.provisioned)
            self.pools.stop_idle(pool, [e for e in pool.idle if e in provisioned][:excess])
        await asyncio.gather(*starts)
        return sum(count for _, count in wanted.values())

    async def _provision_one(self, pool: Pool) -> None:
        try:
            environment = await self.pools.start_environment(pool, "provisioned-concurrency")
            await environment.initialized
        except (InvokeError, InitFailure) as error:
            self.say(f"lambda: provisioned environment of {pool.function.name} failed to start: {error}")
            return
        pool.idle.insert(0, environment)  # behind the warm on-demand ones: those are reaped first

    async def _function_names(self) -> list[str]:
        names: list[str] = []
        marker: str | None = None
        while True:
            query = {"Marker": marker} if marker else None
            document = await self.client.lambda_api("GET", "/2015-03-31/functions/", query)
            names += [f["FunctionName"] for f in document.get("Functions", [])]
            marker = document.get("NextMarker")
            if not marker:
                return names
