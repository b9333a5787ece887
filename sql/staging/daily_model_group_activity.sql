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
SELECT
    c.date,
    c.team_id,
    c.bucket AS model_group,
    sum(c.spend) AS spend,
    CAST(sum(c.prompt_tokens) AS BIGINT) AS prompt_tokens,
    CAST(sum(c.completion_tokens) AS BIGINT) AS completion_tokens,
    CAST(sum(c.cache_read_input_tokens) AS BIGINT) AS cache_read_input_tokens,
    CAST(sum(c.cache_creation_input_tokens) AS BIGINT) AS cache_creation_input_tokens,
    CAST(sum(c.total_tokens) AS BIGINT) AS total_tokens,
    CAST(sum(c.api_requests) AS BIGINT) AS api_requests,
    CAST(sum(c.successful_requests) AS BIGINT) AS successful_requests,
    CAST(sum(c.failed_requests) AS BIGINT) AS failed_requests
FROM staging.daily_breakdown_cells AS c
WHERE c.dimension = 'model_group'
GROUP BY c.date, c.team_id, c.bucket
