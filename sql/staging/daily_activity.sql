-- description: Daily LiteLLM activity per team, provider model and API key, merged across pages by summing (a day is split across pages with partial metrics). Flattened from results[].breakdown.models[model].api_key_breakdown[key], which covers every DB row exactly once.
-- grain: date, team_id, model, api_key
-- partition_column: date
-- column date: UTC day (raw partition_date; results for other days are dropped).
-- column team_id: The scope's team for 'team:<id>' pages; on the unassigned scope the key's KeyMetadata.team_id when non-empty (e.g. deleted teams), else 'Unassigned'.
-- column model: Provider model name as LiteLLM reports it ('unknown-model' when empty).
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
SELECT
    c.date,
    c.team_id,
    c.bucket AS model,
    c.api_key,
    c.key_alias,
    c.key_team_id,
    c.key_user_id,
    c.key_exists,
    c.spend,
    c.prompt_tokens,
    c.completion_tokens,
    c.cache_read_input_tokens,
    c.cache_creation_input_tokens,
    c.total_tokens,
    c.api_requests,
    c.successful_requests,
    c.failed_requests
FROM staging.daily_breakdown_cells AS c
WHERE c.dimension = 'model'
