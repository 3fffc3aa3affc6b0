"""``AWS::FIS::ExperimentTemplate`` in moto's CloudFormation (runs inside moto).

``terraform/modules/chaos`` declares its experiment templates in a CloudFormation stack (the 5.x
provider cannot express Lambda targets, see that module). moto's CloudFormation has no model for the
type and only warns, so the stack "succeeded" with no template in FIS. Here the type is a model that
creates, replaces and deletes the template in moto's FIS backend; ``Ref`` gives its id, as on AWS
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-fis-experimenttemplate.html).

The template's properties are FIS's API fields in PascalCase; the values inside ``Parameters``,
``Targets`` (an action's), ``ResourceTags`` and ``Tags`` are maps whose keys are the user's and stay
as they are. An update replaces the template (a new id); on AWS most properties update in place.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.fis.models import fis_backends

# Maps whose keys are names the template's author chose, not FIS field names.
_VERBATIM = frozenset({"Parameters", "ResourceTags", "Tags"})
_VERBATIM_IN_ACTIONS = frozenset({"Targets"})


def api_shape(value: Any, parent: str = "", in_action: bool = False) -> Any:
    """CloudFormation's PascalCase properties as FIS's camelCase API fields."""
    if isinstance(value, list):
        return [api_shape(item, parent, in_action) for item in value]
    if not isinstance(value, dict):
        return value
    if parent in _VERBATIM or (in_action and parent in _VERBATIM_IN_ACTIONS):
        return dict(value)
    if parent in {"Targets", "Actions"}:  # maps of the author's names to targets or actions
        return {name: api_shape(item, "", parent == "Actions") for name, item in value.items()}
    return {_camel(key): api_shape(item, key, in_action) for key, item in value.items()}


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


class FisExperimentTemplate(CloudFormationModel):
    """An experiment template a stack made: its id in moto's FIS."""

    def __init__(self, template_id: str) -> None:
        self.id = template_id

    @property
    def physical_resource_id(self) -> str:
        return self.id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::FIS::ExperimentTemplate"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.id

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **_: Any,
    ) -> FisExperimentTemplate:
        fields = api_shape(cloudformation_json.get("Properties", {}))
        created = fis_backends[account_id][region_name].create_experiment_template(
            client_token=None,
            description=fields.get("description", ""),
            stop_conditions=fields.get("stopConditions", []),
            targets=fields.get("targets"),
            actions=fields.get("actions", {}),
            role_arn=fields.get("roleArn", ""),
            tags=fields.get("tags"),
            log_configuration=fields.get("logConfiguration"),
            experiment_options=fields.get("experimentOptions"),
            experiment_report_configuration=fields.get("experimentReportConfiguration"),
        )
        return cls(created["id"])

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: FisExperimentTemplate,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> FisExperimentTemplate:
        cls.delete_from_cloudformation_json(
            original_resource.id, cloudformation_json, account_id, region_name
        )
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backend = fis_backends[account_id][region_name]
        if resource_name in backend.experiment_templates:
            backend.delete_experiment_template(resource_name)

    def is_created(self) -> bool:
        return True


def install() -> None:
    from moto.cloudformation import parsing

    # moto lists its models once (lru_cache over CloudFormationModel.__subclasses__()): the class
    # above is a subclass from its import on, listed once the caches are cleared.
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
