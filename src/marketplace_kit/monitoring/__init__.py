"""What the platform watches: the metrics a generated service exports, its SLOs, the alerting
rules (per service and for the platform) and the Grafana dashboards, all built from Python.

Pure data, no Pulumi: ``platform/`` turns these into PrometheusRule and ConfigMap objects, the
service template renders the metric names and buckets from ``signals``, and the tests check
every query against what is really exported.
"""
