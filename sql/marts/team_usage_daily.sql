-- description: Usage per team and UTC day (LiteLLM daily activity, all pages merged). The leaderboard reads this table.
-- grain: date, team_id
-- partition_column: date
-- column date: UTC day of the requests.
-- column team_id: LiteLLM team id; 'Unassigned' for traffic without a team.
-- column team_alias: Team alias (teams dimension; the team_id when no alias is known).
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
WITH g AS NOT MATERIALIZED (
    SELECT
        a.date,
        a.team_id,
        sum(a.spend) AS spend,
        CAST(sum(a.prompt_tokens) AS BIGINT) AS prompt_tokens,
        CAST(sum(a.completion_tokens) AS BIGINT) AS completion_tokens,
        CAST(sum(a.cache_read_input_tokens) AS BIGINT) AS cache_read_input_tokens,
        CAST(sum(a.cache_creation_input_tokens) AS BIGINT) AS cache_creation_input_tokens,
        CAST(sum(a.total_tokens) AS BIGINT) AS total_tokens,
        CAST(sum(a.api_requests) AS BIGINT) AS api_requests,
        CAST(sum(a.successful_requests) AS BIGINT) AS successful_requests,
        CAST(sum(a.failed_requests) AS BIGINT) AS failed_requests
    FROM staging.daily_activity AS a
    GROUP BY a.date, a.team_id
)
SELECT
    g.date,
    g.team_id,
    coalesce(t.team_alias, g.team_id) AS team_alias,
    g.spend,
    g.prompt_tokens,
    g.completion_tokens,
    g.cache_read_input_tokens,
    g.cache_creation_input_tokens,
    g.total_tokens,
    g.api_requests,
    g.successful_requests,
    g.failed_requests,
    CASE WHEN g.api_requests > 0 THEN g.successful_requests / g.api_requests END AS success_rate
FROM g
LEFT JOIN staging.teams AS t ON t.team_id = g.team_id
