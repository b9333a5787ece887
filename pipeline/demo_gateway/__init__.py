"""A LiteLLM 1.110.2-compatible demo/test gateway serving synthetic usage data (never real data)."""

from pipeline.demo_gateway.config import DEMO_API_KEY, SPEND_LOGS_COUNT_CAP, FaultConfig, GatewayConfig
from pipeline.demo_gateway.dataset import Dataset
from pipeline.demo_gateway.server import DEMO_HEADER, DemoGateway

__all__ = [
    "DEMO_API_KEY",
    "DEMO_HEADER",
    "SPEND_LOGS_COUNT_CAP",
    "Dataset",
    "DemoGateway",
    "FaultConfig",
    "GatewayConfig",
]
