-- description: Daily LiteLLM activity per team, breakdown dimension, bucket and API key, merged across pages by summing (a day is split across pages with partial metrics). Each page payload is parsed once; results[].breakdown.{models, model_groups, providers}[bucket].api_key_breakdown[key] each cover every DB row exactly once. The source of staging.daily_activity, daily_model_group_activity and daily_provider_activity.
-- grain: date, team_id, dimension, bucket, api_key
-- partition_column: date
-- column date: UTC day (raw partition_date; results for other days are dropped).
-- column team_id: The scope's team for 'team:<id>' pages; on the unassigned scope the key's KeyMetadata.team_id when non-empty (e.g. deleted teams), else 'Unassigned'.
-- column dimension: Breakdown map the cell comes from: 'model' (breakdown.models), 'model_group' (breakdown.model_groups) or 'provider' (breakdown.providers).
-- column bucket: The breakdown map's key: provider model name, public model name (model group) or custom_llm_provider, as LiteLLM reports it.
-- column api_key: Key hash (sha256 hex of the virtual key); 'unattributed' when empty.
-- column key_alias: Non-empty KeyMetadata.key_alias reported for the key on this day (max if several).
-- column key_team_id: KeyMetadata.team_id as reported (NULL when empty).
-- column key_user_id: KeyMetadata.user_id (NULL when absent).
-- column key_exists: KeyMetadata.key_exists (false = key deleted or regenerated; NULL on older LiteLLM).
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
            replace(
                '{"results": [{"date": "VARCHAR", "breakdown": '
                || '{"models": "$BUCKETS", "model_groups": "$BUCKETS", "providers": "$BUCKETS"}}]}',
                '$BUCKETS',
                'MAP(VARCHAR, STRUCT(api_key_breakdown MAP(VARCHAR, STRUCT(metrics STRUCT(spend DOUBLE, '
                || 'prompt_tokens BIGINT, completion_tokens BIGINT, cache_read_input_tokens BIGINT, '
                || 'cache_creation_input_tokens BIGINT, total_tokens BIGINT, api_requests BIGINT, '
                || 'successful_requests BIGINT, failed_requests BIGINT), '
                || 'metadata STRUCT(key_alias VARCHAR, team_id VARCHAR, user_id VARCHAR, key_exists BOOLEAN)))))'
            )
        ) AS j
    FROM raw.team_daily_activity AS p
),
results AS NOT MATERIALIZED (
    SELECT pages.partition_date, pages.scope_team_id, unnest(pages.j.results) AS r
    FROM pages
),
dimensions AS NOT MATERIALIZED (
    SELECT
        results.partition_date,
        results.scope_team_id,
        unnest([
            {'dimension': 'model', 'buckets': results.r.breakdown.models},
            {'dimension': 'model_group', 'buckets': results.r.breakdown.model_groups},
            {'dimension': 'provider', 'buckets': results.r.breakdown.providers}
        ]) AS d
    FROM results
    WHERE results.r.date = strftime(results.partition_date, '%Y-%m-%d')
),
buckets AS NOT MATERIALIZED (
    SELECT
        dimensions.partition_date,
        dimensions.scope_team_id,
        dimensions.d.dimension,
        unnest(map_entries(dimensions.d.buckets)) AS b
    FROM dimensions
),
key_cells AS NOT MATERIALIZED (
    SELECT
        buckets.partition_date,
        buckets.scope_team_id,
        buckets.dimension,
        buckets.b.key AS bucket,
        unnest(map_entries(buckets.b.value.api_key_breakdown)) AS k
    FROM buckets
),
cells AS NOT MATERIALIZED (
    SELECT
        key_cells.partition_date,
        coalesce(key_cells.scope_team_id, nullif(key_cells.k.value.metadata.team_id, ''), 'Unassigned') AS team_id,
        key_cells.dimension,
        key_cells.bucket,
        key_cells.k.key AS api_key,
        key_cells.k.value.metadata AS key_meta,
        key_cells.k.value.metrics AS m
    FROM key_cells
)
SELECT
    cells.partition_date AS date,
    cells.team_id,
    cells.dimension,
    cells.bucket,
    cells.api_key,
    max(nullif(cells.key_meta.key_alias, '')) AS key_alias,
    max(nullif(cells.key_meta.team_id, '')) AS key_team_id,
    max(nullif(cells.key_meta.user_id, '')) AS key_user_id,
    bool_and(cells.key_meta.key_exists) AS key_exists,
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
GROUP BY cells.partition_date, cells.team_id, cells.dimension, cells.bucket, cells.api_key
