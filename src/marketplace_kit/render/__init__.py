"""Render a plan as files: Kubernetes manifests and Helm releases (``marketplace-kit render``)."""

from marketplace_kit.render.manifests import HelmRelease, Manifest, helm_releases, manifests
from marketplace_kit.render.writer import RenderResult, render_plan

__all__ = ["HelmRelease", "Manifest", "RenderResult", "helm_releases", "manifests", "render_plan"]
