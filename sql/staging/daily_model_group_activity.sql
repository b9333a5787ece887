-- description: Daily LiteLLM activity per team and public model name (model group), merged across pages. Flattened from results[].breakdown.model_groups[group].api_key_breakdown[key].
-- grain: date, team_id, model_group
-- partition_column: date
-- column date: UTC day (raw partition_date).
-- column team_id: Same team attribution as staging.daily_activity (scope team, else KeyMetadata.team_id, else 'Unassigned').
-- column model_group: Public model name (LiteLLM model_group, else the model; 'unknown-model-group' when empty).
-- column spend: Spend in USD, summed across pages.
-- column prompt_tokens: Prompt (input) tokens.
-- column completion_tokens: Completion (output) tokens.
-- column cache_read_input_tokens: Prompt tokens read from the provider cache (0 when LiteLLM did not report it).
-- column cache_creation_input_tokens: Prompt tokens written to the provider cache (0 when not reported).
-- column total_tokens: prompt_tokens + completion_tokens as reported by LiteLLM.
-- column api_requests: Requests counted by LiteLLM (sub-calls and billed retries count 0).
-- column successful_requests: Requests whose status was not 'failure'.
-- column failed_requests: Requests whose status was 'failure'.
WITH pages AS NOT MATERIALIZED (
    SELECT
        p.partition_date,
        CASE WHEN starts_with(p.scope, 'team:') THEN coalesce(nullif(p.team_id, ''), substr(p.scope, 6)) END
            AS scope_team_id,
        json_transform(
            p.payload,
            '{"results": [{"date": "VARCHAR", "breakdown": {"model_groups": "MAP(VARCHAR, '
            || 'STRUCT(api_key_breakdown MAP(VARCHAR, STRUCT(metrics STRUCT(spend DOUBLE, '
            || 'prompt_tokens BIGINT, completion_tokens BIGINT, cache_read_input_tokens BIGINT, '
            || 'cache_creation_input_tokens BIGINT, total_tokens BIGINT, api_requests BIGINT, '
            || 'successful_requests BIGINT, failed_requests BIGINT), '
            || 'metadata STRUCT(key_alias VARCHAR, team_id VARCHAR, user_id VARCHAR, '
            || 'key_exists BOOLEAN)))))"}}]}'
        ) AS j
    FROM raw.team_daily_activity AS p
),
results AS NOT MATERIALIZED (
    SELECT pages.partition_date, pages.scope_team_id, unnest(pages.j.results) AS r
    FROM pages
),
buckets AS NOT MATERIALIZED (
    SELECT results.partition_date, results.scope_team_id, unnest(map_entries(results.r.breakdown.model_groups)) AS b
    FROM results
    WHERE results.r.date = strftime(results.partition_date, '%Y-%m-%d')
),
key_cells AS NOT MATERIALIZED (
    SELECT
        buckets.partition_date,
        buckets.scope_team_id,
        buckets.b.key AS bucket,
        unnest(map_entries(buckets.b.value.api_key_breakdown)) AS k
    FROM buckets
),
cells AS NOT MATERIALIZED (
    SELECT
        key_cells.partition_date,
        coalesce(key_cells.scope_team_id, nullif(key_cells.k.value.metadata.team_id, ''), 'Unassigned') AS team_id,
        key_cells.bucket,
        key_cells.k.key AS api_key,
        key_cells.k.value.metadata AS key_meta,
        key_cells.k.value.metrics AS m
    FROM key_cells
)
SELECT
    cells.partition_date AS date,
    cells.team_id,
    cells.bucket AS model_group,
    sum(coalesce(cells.m.spend, 0)) AS spend,
    CAST(sum(coalesce(cells.m.prompt_tokens, 0)) AS BIGINT) AS prompt_tokens,
    CAST(sum(coalesce(cells.m.completion_tokens, 0)) AS BIGINT) AS completion_tokens,
    CAST(sum(coalesce(cells.m.cache_read_input_tokens, 0)) AS BIGINT) AS cache_read_input_tokens,
    CAST(sum(coalesce(cells.m.cache_creation_input_tokens, 0)) AS BIGINT) AS cache_creation_input_tokens,
    CAST(sum(coalesce(cells.m.total_tokens, 0)) AS BIGINT) AS total_tokens,
    CAST(sum(coalesce(cells.m.api_requests, 0)) AS BIGINT) AS api_requests,
    CAST(sum(coalesce(cells.m.successful_requests, 0)) AS BIGINT) AS successful_requests,
    CAST(sum(coalesce(cells.m.failed_requests, 0)) AS BIGINT) AS failed_requests
FROM cells
GROUP BY cells.partition_date, cells.team_id, cells.bucket
