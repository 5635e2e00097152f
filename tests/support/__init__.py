"""Helpers shared by the tests (fixtures stay in tests/conftest.py): import as `support.<module>`.

- plans: the reference/foundation plans, each planned once per session
- incluster: a hand-made Foundation, planning under the mocks, Kubernetes object validation
- estimate_graphs: small hand-made resource graphs and the planned blueprints (estimate tests)
- provision: the real CLI entry point in-process against the fake `pulumi` (fake_pulumi/)
- cli: the real CLI entry point in-process, one-error-line checks, file-tree snapshots
- dev: `marketplace-kit dev` as a subprocess (stopped when the test is done)
- service_process: a generated service started as a real process
- faults: Kafka/PostgreSQL helpers of the failure tests
- kafka: Apache Kafka as Strimzi runs it (TLS, SCRAM-SHA-512, ACLs from the rendered KafkaUsers)
- real_parts: the real parts `.ci/real-parts` builds (Kafka's classpath, ...)
- otlp_receiver: an OTLP/HTTP receiver collecting spans
- promql_names: metric names referenced by PromQL expressions
- asyncapi_schema: the official AsyncAPI JSON Schema (npm @asyncapi/specs, pinned)
"""
