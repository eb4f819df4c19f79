"""Live views of the collection: runtime status, panels with integrity hashes, terminal summary, dashboard."""

from g6_pipeline.live.panels import PanelProblem, verify_panels
from g6_pipeline.live.publish import publish
from g6_pipeline.live.status import write_status

__all__ = ["PanelProblem", "publish", "verify_panels", "write_status"]
