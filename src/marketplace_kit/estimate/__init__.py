"""Before you spend: cost, timeline, diagram and guardrail checks over a plan's resource graph."""
