-- description: Usage per UTC hour, team and public model name from the per-request spend logs (the only sub-daily source; may be empty when spend logs are disabled or purged upstream).
-- grain: hour, team_id, model_group
-- partition_column: date
-- column hour: UTC hour start (TIMESTAMPTZ).
-- column date: UTC day of the hour.
-- column team_id: LiteLLM team id; 'Unassigned' for requests without a team.
-- column team_alias: Team alias (teams dimension; the team_id when no alias is known).
-- column model_group: Public model name: the spend log's model_group, else the models dimension, else the day's usage-data pairing, else 'unknown'.
-- column api_requests: Spend-log rows (requests, including sub-calls that LiteLLM's daily tables count as 0 requests).
-- column successful_requests: Requests whose status was not 'failure'.
-- column failed_requests: Requests whose status was 'failure'.
-- column prompt_tokens: Prompt tokens.
-- column completion_tokens: Completion tokens.
-- column total_tokens: Total tokens.
-- column spend: Spend in USD.
-- column latency_p50_ms: Median request latency in ms, quantile_cont (linear interpolation) over latency_ms of all requests in the bucket.
-- column latency_p95_ms: 95th percentile request latency in ms, quantile_cont (linear interpolation).
WITH logs AS NOT MATERIALIZED (
    SELECT
        s.hour,
        s.date,
        s.team_id,
        coalesce(s.model_group, dm.model_group, dl.model_group, mm.model_group, 'unknown') AS model_group,
        s.is_success,
        s.prompt_tokens,
        s.completion_tokens,
        s.total_tokens,
        s.spend,
        s.latency_ms
    FROM staging.spend_logs AS s
    LEFT JOIN staging.models AS dm ON dm.model = s.model
    LEFT JOIN staging.models AS dl ON dl.litellm_model = s.model
    LEFT JOIN staging.model_map_daily AS mm ON mm.date = s.date AND mm.model = s.model
),
g AS NOT MATERIALIZED (
    SELECT
        logs.hour,
        logs.date,
        logs.team_id,
        logs.model_group,
        CAST(count(*) AS BIGINT) AS api_requests,
        CAST(count(*) FILTER (WHERE logs.is_success) AS BIGINT) AS successful_requests,
        CAST(count(*) FILTER (WHERE NOT logs.is_success) AS BIGINT) AS failed_requests,
        CAST(sum(logs.prompt_tokens) AS BIGINT) AS prompt_tokens,
        CAST(sum(logs.completion_tokens) AS BIGINT) AS completion_tokens,
        CAST(sum(logs.total_tokens) AS BIGINT) AS total_tokens,
        sum(logs.spend) AS spend,
        quantile_cont(logs.latency_ms, 0.5) AS latency_p50_ms,
        quantile_cont(logs.latency_ms, 0.95) AS latency_p95_ms
    FROM logs
    GROUP BY logs.hour, logs.date, logs.team_id, logs.model_group
)
SELECT
    g.hour,
    g.date,
    g.team_id,
    coalesce(t.team_alias, g.team_id) AS team_alias,
    g.model_group,
    g.api_requests,
    g.successful_requests,
    g.failed_requests,
    g.prompt_tokens,
    g.completion_tokens,
    g.total_tokens,
    g.spend,
    g.latency_p50_ms,
    g.latency_p95_ms
FROM g
LEFT JOIN staging.teams AS t ON t.team_id = g.team_id
