"""Pydantic models of the Strimzi ``kafka.strimzi.io/v1`` fields the kit writes.

Written from Strimzi's API reference (Kafka, KafkaNodePool, KafkaTopic, KafkaUser); every model
forbids unknown fields, so a misspelt or v1beta2-only field fails validation. Only the subset
the kit uses is modelled: an object that validates here uses nothing outside it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from marketplace_kit.platform import versions

_K8S_NAME = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ObjectMeta(_Strict):
    name: Annotated[str, Field(pattern=_K8S_NAME, max_length=253)]
    namespace: str | None = None
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


class PodMetadata(_Strict):
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


class PodTemplate(_Strict):
    metadata: PodMetadata | None = None
    # Kubernetes core types, passed through by Strimzi as they are
    affinity: dict[str, Any] | None = None
    topologySpreadConstraints: list[dict[str, Any]] | None = None


class Template(_Strict):
    pod: PodTemplate | None = None


# --- Kafka ------------------------------------------------------------------------------


class ListenerAuthentication(_Strict):
    type: Literal["tls", "scram-sha-512", "oauth", "custom"]


class GenericKafkaListener(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9]{1,11}$")]
    port: Annotated[int, Field(ge=9092)]
    type: Literal["internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"]
    tls: bool
    authentication: ListenerAuthentication | None = None


class KafkaAuthorizationSimple(_Strict):
    type: Literal["simple"]
    superUsers: list[str] | None = None


class ConfigMapKeySelector(_Strict):
    name: str
    key: str
    optional: bool | None = None


class ExternalConfigurationReference(_Strict):
    configMapKeyRef: ConfigMapKeySelector


class JmxPrometheusExporterMetrics(_Strict):
    type: Literal["jmxPrometheusExporter"]
    valueFrom: ExternalConfigurationReference


class Rack(_Strict):
    topologyKey: Annotated[str, Field(min_length=1)]


class KafkaClusterSpec(_Strict):
    rack: Rack | None = None
    version: Literal[versions.STRIMZI_KAFKA_VERSIONS]  # type: ignore[valid-type]
    metadataVersion: str | None = None
    listeners: Annotated[list[GenericKafkaListener], Field(min_length=1)]
    authorization: KafkaAuthorizationSimple | None = None
    config: dict[str, str | int | bool | float] = {}
    metricsConfig: JmxPrometheusExporterMetrics | None = None


class ResourceRequirements(_Strict):
    requests: dict[str, str] | None = None
    limits: dict[str, str] | None = None


class KafkaExporterSpec(_Strict):
    topicRegex: str | None = None
    groupRegex: str | None = None
    topicExcludeRegex: str | None = None
    groupExcludeRegex: str | None = None
    showAllOffsets: bool | None = None
    resources: ResourceRequirements | None = None
    template: Template | None = None


class EntityOperatorComponent(_Strict):
    watchedNamespace: str | None = None
    reconciliationIntervalMs: int | None = None
    resources: ResourceRequirements | None = None


class EntityOperatorSpec(_Strict):
    topicOperator: EntityOperatorComponent | None = None
    userOperator: EntityOperatorComponent | None = None
    template: Template | None = None


class KafkaSpec(_Strict):
    kafka: KafkaClusterSpec
    entityOperator: EntityOperatorSpec | None = None
    kafkaExporter: KafkaExporterSpec | None = None


# --- KafkaNodePool ----------------------------------------------------------------------


class PersistentClaimVolume(_Strict):
    id: Annotated[int, Field(ge=0)]
    type: Literal["persistent-claim"]
    size: Annotated[str, Field(pattern=r"^[0-9]+(Gi|Ti|Mi)$")]
    class_: str | None = Field(default=None, alias="class")
    deleteClaim: bool | None = None
    kraftMetadata: Literal["shared"] | None = None


class JbodStorage(_Strict):
    type: Literal["jbod"]
    volumes: Annotated[list[PersistentClaimVolume], Field(min_length=1)]


class KafkaNodePoolSpec(_Strict):
    replicas: Annotated[int, Field(ge=0)]
    roles: Annotated[list[Literal["controller", "broker"]], Field(min_length=1)]
    storage: JbodStorage
    resources: ResourceRequirements | None = None
    template: Template | None = None


# --- KafkaTopic -------------------------------------------------------------------------


class KafkaTopicSpec(_Strict):
    topicName: str | None = None
    partitions: Annotated[int, Field(ge=1)]
    replicas: Annotated[int, Field(ge=1, le=32767)]
    config: dict[str, str | int | bool | float] = {}


# --- KafkaUser --------------------------------------------------------------------------


class AclResource(_Strict):
    type: Literal["topic", "group", "cluster", "transactionalId"]
    name: str | None = None
    patternType: Literal["literal", "prefix"] = "literal"


AclOperation = Literal[
    "Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction",
    "AlterConfigs", "DescribeConfigs", "IdempotentWrite", "All",
]


class AclRule(_Strict):
    resource: AclResource
    operations: Annotated[list[AclOperation], Field(min_length=1)]  # v1: no singular operation
    host: str | None = None
    type: Literal["allow", "deny"] | None = None


class KafkaUserAuthorizationSimple(_Strict):
    type: Literal["simple"]
    acls: list[AclRule]


class KafkaUserAuthentication(_Strict):
    type: Literal["tls", "tls-external", "scram-sha-512"]


class KafkaUserSpec(_Strict):
    authentication: KafkaUserAuthentication | None = None
    authorization: KafkaUserAuthorizationSimple | None = None


# --- the custom resources ---------------------------------------------------------------


class _Resource(_Strict):
    apiVersion: Literal["kafka.strimzi.io/v1"]
    metadata: ObjectMeta


class Kafka(_Resource):
    kind: Literal["Kafka"]
    spec: KafkaSpec


class KafkaNodePool(_Resource):
    kind: Literal["KafkaNodePool"]
    spec: KafkaNodePoolSpec


class KafkaTopic(_Resource):
    kind: Literal["KafkaTopic"]
    spec: KafkaTopicSpec


class KafkaUser(_Resource):
    kind: Literal["KafkaUser"]
    spec: KafkaUserSpec


MODELS: dict[str, type[_Resource]] = {
    "Kafka": Kafka,
    "KafkaNodePool": KafkaNodePool,
    "KafkaTopic": KafkaTopic,
    "KafkaUser": KafkaUser,
}


def validate(obj: dict[str, Any]) -> _Resource:
    """Validate one Strimzi object (raises ``pydantic.ValidationError``)."""
    return MODELS[obj["kind"]].model_validate(obj)
