"""The synthetic organisation: teams, virtual keys and model deployments (obviously fake names)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


def hash_key(raw_key: str) -> str:
    """LiteLLM's key hash: sha256 hex of the virtual key."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Team:
    team_id: str
    team_alias: str
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Key:
    raw_key: str
    key_alias: str
    team_id: str
    """'' for keys without a team."""
    user_id: str
    weight: float
    active_until: float = 1.0
    """Share of the day range after which the key sends no traffic (deleted keys/teams)."""
    deleted: bool = False
    tags: tuple[str, ...] = ()

    @property
    def token(self) -> str:
        return hash_key(self.raw_key)


@dataclass(frozen=True, slots=True)
class Model:
    model: str
    """Provider model name ('' for MCP tool calls)."""
    model_group: str
    provider: str
    endpoint: str
    call_type: str
    model_id: str
    api_base: str
    litellm_model: str
    mode: str
    input_cost: float
    output_cost: float
    cache_read_cost: float
    cache_creation_cost: float
    mean_prompt: float
    mean_completion: float
    latency_ms: float
    cache_read_prob: float
    cache_creation_prob: float
    failure_rate: float
    flat_spend: float = 0.0
    mcp_tool: str = ""
    max_input_tokens: int = 128_000
    max_output_tokens: int = 16_384

    @property
    def listed(self) -> bool:
        """Whether `/v2/model/info` lists it (MCP tools are not models)."""
        return not self.mcp_tool


TEAMS: tuple[Team, ...] = (
    Team("demo-team-payments", "Demo: Payments"),
    Team("demo-team-search", "Demo: Search"),
    Team("demo-team-data", "Demo: Data Science"),
    Team("demo-team-support", "Demo: Support Bots"),
    Team("demo-team-platform", "Demo: Platform"),
    Team("demo-team-legacy", "Demo: Legacy Search (deleted)", deleted=True),
)

KEYS: tuple[Key, ...] = (
    Key(
        "sk-demo-payments-api",
        "demo-payments-api",
        "demo-team-payments",
        "demo.ana@example.com",
        1.6,
        tags=("prod", "checkout-service"),
    ),
    Key(
        "sk-demo-payments-batch",
        "demo-payments-batch",
        "demo-team-payments",
        "demo.ana@example.com",
        0.6,
        tags=("batch",),
    ),
    Key(
        "sk-demo-search-ranker",
        "demo-search-ranker",
        "demo-team-search",
        "demo.ben@example.com",
        1.2,
        tags=("prod", "ranker"),
    ),
    Key(
        "sk-demo-search-rag",
        "demo-search-rag",
        "demo-team-search",
        "demo.ben@example.com",
        1.0,
        tags=("prod",),
    ),
    Key("sk-demo-data-notebooks", "demo-data-notebooks", "demo-team-data", "demo.cho@example.com", 0.7),
    Key(
        "sk-demo-data-evals",
        "demo-data-evals",
        "demo-team-data",
        "demo.cho@example.com",
        0.9,
        tags=("evals",),
    ),
    Key(
        "sk-demo-support-chatbot",
        "demo-support-chatbot",
        "demo-team-support",
        "demo.dev@example.com",
        1.8,
        tags=("prod", "chatbot"),
    ),
    Key(
        "sk-demo-support-summarizer",
        "demo-support-summarizer",
        "demo-team-support",
        "demo.dev@example.com",
        0.8,
    ),
    Key(
        "sk-demo-platform-tests",
        "demo-platform-tests",
        "demo-team-platform",
        "demo.eve@example.com",
        0.3,
        tags=("ci",),
    ),
    Key(
        "sk-demo-platform-old-ci",
        "demo-platform-old-ci",
        "demo-team-platform",
        "demo.eve@example.com",
        0.4,
        active_until=0.5,
        deleted=True,
        tags=("ci",),
    ),
    Key(
        "sk-demo-legacy-batch",
        "demo-legacy-batch",
        "demo-team-legacy",
        "demo.fay@example.com",
        0.5,
        active_until=0.6,
    ),
    Key("sk-demo-sandbox-personal", "demo-sandbox-personal", "", "demo.gus@example.com", 0.5),
    Key("sk-demo-hackathon", "demo-hackathon", "", "demo.hal@example.com", 0.3, tags=("hackathon",)),
)

MODELS: tuple[Model, ...] = (
    Model(
        "gpt-4o",
        "gpt-4o",
        "openai",
        "/chat/completions",
        "acompletion",
        "demo0001gpt4o000000000000000001",
        "https://api.openai.com/v1",
        "openai/gpt-4o",
        "chat",
        2.5e-6,
        1e-5,
        1.25e-6,
        0.0,
        1800,
        350,
        2200,
        0.3,
        0.0,
        0.03,
    ),
    Model(
        "gpt-4o-mini",
        "gpt-4o-mini",
        "openai",
        "/chat/completions",
        "acompletion",
        "demo0002gpt4omini00000000000002",
        "https://api.openai.com/v1",
        "openai/gpt-4o-mini",
        "chat",
        1.5e-7,
        6e-7,
        7.5e-8,
        0.0,
        1200,
        250,
        900,
        0.3,
        0.0,
        0.025,
    ),
    Model(
        "claude-sonnet-4-20250514",
        "claude-sonnet-4",
        "anthropic",
        "/chat/completions",
        "acompletion",
        "demo0003claudesonnet4000000003",
        "https://api.anthropic.com/v1/messages",
        "anthropic/claude-sonnet-4-20250514",
        "chat",
        3e-6,
        1.5e-5,
        3e-7,
        3.75e-6,
        2500,
        500,
        3500,
        0.4,
        0.1,
        0.04,
        max_input_tokens=200_000,
    ),
    Model(
        "claude-3-5-haiku-20241022",
        "claude-haiku-3.5",
        "anthropic",
        "/chat/completions",
        "acompletion",
        "demo0004claudehaiku35000000004",
        "https://api.anthropic.com/v1/messages",
        "anthropic/claude-3-5-haiku-20241022",
        "chat",
        8e-7,
        4e-6,
        8e-8,
        1e-6,
        1500,
        300,
        1200,
        0.4,
        0.1,
        0.035,
        max_input_tokens=200_000,
    ),
    Model(
        "gpt-4.1",
        "azure-gpt-4.1",
        "azure",
        "/chat/completions",
        "acompletion",
        "demo0005azuregpt41000000000005",
        "https://demo-resource.openai.azure.com",
        "azure/gpt-4.1",
        "chat",
        2e-6,
        8e-6,
        5e-7,
        0.0,
        2000,
        400,
        2600,
        0.2,
        0.0,
        0.03,
        max_input_tokens=1_047_576,
    ),
    Model(
        "text-embedding-3-small",
        "azure-embeddings-small",
        "azure",
        "/embeddings",
        "aembedding",
        "demo0006azureembed000000000006",
        "https://demo-resource.openai.azure.com",
        "azure/text-embedding-3-small",
        "embedding",
        2e-8,
        0.0,
        0.0,
        0.0,
        600,
        0,
        150,
        0.0,
        0.0,
        0.01,
        max_input_tokens=8191,
        max_output_tokens=0,
    ),
    Model(
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "bedrock-claude-3.5-sonnet",
        "bedrock",
        "/chat/completions",
        "acompletion",
        "demo0007bedrockclaude0000000007",
        "https://bedrock-runtime.us-east-1.amazonaws.com",
        "bedrock/anthropic.claude-3-5-sonnet-20241022-v2:0",
        "chat",
        3e-6,
        1.5e-5,
        3e-7,
        3.75e-6,
        2200,
        450,
        3800,
        0.25,
        0.05,
        0.06,
        max_input_tokens=200_000,
        max_output_tokens=8192,
    ),
    Model(
        "meta.llama3-1-70b-instruct-v1:0",
        "bedrock-llama-3.1-70b",
        "bedrock",
        "/chat/completions",
        "acompletion",
        "demo0008bedrockllama0000000008",
        "https://bedrock-runtime.us-east-1.amazonaws.com",
        "bedrock/meta.llama3-1-70b-instruct-v1:0",
        "chat",
        9.9e-7,
        9.9e-7,
        0.0,
        0.0,
        1600,
        380,
        2900,
        0.0,
        0.0,
        0.05,
        max_output_tokens=2048,
    ),
    Model(
        "",
        "",
        "",
        "/mcp/call_tool",
        "call_mcp_tool",
        "",
        "",
        "",
        "mcp",
        0.0,
        0.0,
        0.0,
        0.0,
        0,
        0,
        400,
        0.0,
        0.0,
        0.02,
        flat_spend=0.001,
        mcp_tool="demo_jira-search_issues",
    ),
)

KEY_MODEL_WEIGHTS: dict[str, tuple[float, ...]] = {
    # gpt-4o, 4o-mini, sonnet-4, haiku, azure-4.1, embed, bedrock-claude, llama, mcp
    "demo-payments-api": (3, 4, 1, 0, 0, 0, 0, 0, 0),
    "demo-payments-batch": (0, 5, 0, 1, 0, 0, 0, 0, 0),
    "demo-search-ranker": (0, 2, 0, 0, 1, 6, 0, 0, 0),
    "demo-search-rag": (1, 0, 3, 1, 0, 4, 0, 0, 0),
    "demo-data-notebooks": (2, 1, 2, 0, 0, 0, 1, 1, 0),
    "demo-data-evals": (2, 2, 2, 2, 1, 0, 1, 1, 0.5),
    "demo-support-chatbot": (0, 2, 4, 3, 0, 0, 0, 0, 1),
    "demo-support-summarizer": (0, 0, 0, 4, 2, 0, 0, 0, 0),
    "demo-platform-tests": (1, 1, 1, 1, 1, 1, 1, 1, 0),
    "demo-platform-old-ci": (0, 3, 0, 0, 0, 0, 0, 2, 0),
    "demo-legacy-batch": (0, 1, 0, 0, 0, 3, 2, 0, 0),
    "demo-sandbox-personal": (1, 1, 1, 0, 0, 0, 0, 0, 0),
    "demo-hackathon": (0, 2, 1, 1, 0, 0, 0, 2, 0),
}

HOURLY_PROFILE: tuple[float, ...] = (
    0.25,
    0.2,
    0.18,
    0.18,
    0.22,
    0.3,
    0.45,
    0.7,
    1.0,
    1.25,
    1.4,
    1.45,
    1.4,
    1.5,
    1.6,
    1.65,
    1.6,
    1.45,
    1.2,
    0.95,
    0.75,
    0.55,
    0.4,
    0.3,
)
"""Relative traffic per UTC hour (Europe morning plus US afternoon)."""

WEEKEND_FACTOR = 0.35
LEGACY_STATUS_SHARE = 0.2
"""Share of the oldest days whose successful spend-log rows have ``status`` NULL (older LiteLLM)."""
STRING_TAGS_SHARE = 0.5
"""Share of the oldest days whose spend-log rows carry ``request_tags`` as a JSON-encoded string."""
CACHE_HIT_RATE = 0.01
USER_AGENT = "OpenAI/Python 1.99.0"

TEAMS_BY_ID = {t.team_id: t for t in TEAMS}
KEYS_BY_TOKEN = {k.token: k for k in KEYS}
