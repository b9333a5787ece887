-- description: Usage per provider model and UTC day across all teams (LiteLLM daily activity, all pages merged).
-- grain: date, model
-- partition_column: date
-- column date: UTC day of the requests.
-- column model: Provider model name as LiteLLM reports it.
-- column model_group: Public model name: models dimension (/v2/model/info), else the day's usage-data pairing, else 'unknown'.
-- column provider: Provider: models dimension, else the day's usage-data pairing, else 'unknown'.
-- column spend: Spend in USD (LiteLLM daily activity).
-- column prompt_tokens: Prompt (input) tokens.
-- column completion_tokens: Completion (output) tokens.
-- column cache_read_input_tokens: Prompt tokens read from the provider cache.
-- column cache_creation_input_tokens: Prompt tokens written to the provider cache.
-- column total_tokens: Total tokens (prompt + completion) as reported by LiteLLM.
-- column api_requests: Requests counted by LiteLLM.
-- column successful_requests: Requests that did not fail.
-- column failed_requests: Requests that failed.
-- column success_rate: successful_requests / api_requests (NULL when there were no requests).
-- column teams_using: Number of distinct teams (including 'Unassigned') with activity on this model and day.
WITH g AS NOT MATERIALIZED (
    SELECT
        a.date,
        a.model,
        sum(a.spend) AS spend,
        CAST(sum(a.prompt_tokens) AS BIGINT) AS prompt_tokens,
        CAST(sum(a.completion_tokens) AS BIGINT) AS completion_tokens,
        CAST(sum(a.cache_read_input_tokens) AS BIGINT) AS cache_read_input_tokens,
        CAST(sum(a.cache_creation_input_tokens) AS BIGINT) AS cache_creation_input_tokens,
        CAST(sum(a.total_tokens) AS BIGINT) AS total_tokens,
        CAST(sum(a.api_requests) AS BIGINT) AS api_requests,
        CAST(sum(a.successful_requests) AS BIGINT) AS successful_requests,
        CAST(sum(a.failed_requests) AS BIGINT) AS failed_requests,
        CAST(count(DISTINCT a.team_id) AS BIGINT) AS teams_using
    FROM staging.daily_activity AS a
    GROUP BY a.date, a.model
)
SELECT
    g.date,
    g.model,
    coalesce(dm.model_group, dl.model_group, mm.model_group, 'unknown') AS model_group,
    coalesce(dm.provider, dl.provider, mm.provider, 'unknown') AS provider,
    g.spend,
    g.prompt_tokens,
    g.completion_tokens,
    g.cache_read_input_tokens,
    g.cache_creation_input_tokens,
    g.total_tokens,
    g.api_requests,
    g.successful_requests,
    g.failed_requests,
    CASE WHEN g.api_requests > 0 THEN g.successful_requests / g.api_requests END AS success_rate,
    g.teams_using
FROM g
LEFT JOIN staging.models AS dm ON dm.model = g.model
LEFT JOIN staging.models AS dl ON dl.litellm_model = g.model
LEFT JOIN staging.model_map_daily AS mm ON mm.date = g.date AND mm.model = g.model
