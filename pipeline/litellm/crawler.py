"""What the daily-activity and spend-log crawlers share."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.litellm.config import LiteLLMConfig
from pipeline.litellm.http import Fetcher, StatsRecorder
from pipeline.litellm.scheduler import BoundedRunner


class Crawler:
    """Holds the client's config, fetcher, stats recorder and a factory of bounded runners."""

    def __init__(
        self,
        config: LiteLLMConfig,
        fetcher: Fetcher,
        recorder: StatsRecorder,
        new_runner: Callable[[], BoundedRunner],
    ) -> None:
        self._config = config
        self._fetcher = fetcher
        self._recorder = recorder
        self._new_runner = new_runner
