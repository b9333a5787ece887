-- description: Cost efficiency per team, provider model and UTC day: unit costs, cache share and the cost at the gateway's configured list prices (/v2/model/info) compared with the recorded spend.
-- grain: date, team_id, model
-- partition_column: date
-- column date: UTC day of the requests.
-- column team_id: LiteLLM team id; 'Unassigned' for traffic without a team.
-- column team_alias: Team alias (teams dimension; the team_id when no alias is known).
-- column model: Provider model name as LiteLLM reports it.
-- column model_group: Public model name (as in marts.team_model_usage_daily).
-- column provider: Provider (as in marts.team_model_usage_daily).
-- column spend: Spend in USD.
-- column prompt_tokens: Prompt tokens (LiteLLM counts cached prompt tokens inside prompt_tokens).
-- column completion_tokens: Completion tokens.
-- column cache_read_input_tokens: Prompt tokens read from the provider cache.
-- column cache_creation_input_tokens: Prompt tokens written to the provider cache.
-- column total_tokens: Total tokens.
-- column successful_requests: Requests that did not fail.
-- column spend_per_1k_tokens: spend / total_tokens * 1000 (NULL when no tokens).
-- column tokens_per_usd: total_tokens / spend (NULL when spend is 0).
-- column spend_per_successful_request: spend / successful_requests (NULL when none).
-- column cache_read_share: cache_read_input_tokens / prompt_tokens (NULL when no prompt tokens).
-- column list_price_cost: Cost at list prices: greatest(prompt_tokens - cache_read_input_tokens - cache_creation_input_tokens, 0) * input_cost_per_token + cache_read_input_tokens * coalesce(cache_read_input_token_cost, input_cost_per_token) + cache_creation_input_tokens * coalesce(cache_creation_input_token_cost, input_cost_per_token) + completion_tokens * output_cost_per_token; equals prompt_tokens * input + completion_tokens * output when no cache prices are known. NULL when the model has no input/output price.
-- column list_price_savings: list_price_cost - spend (positive: cheaper than list price; NULL when list_price_cost is NULL).
WITH u AS NOT MATERIALIZED (
    SELECT
        u.*,
        coalesce(dm.input_cost_per_token, dl.input_cost_per_token) AS input_price,
        coalesce(dm.output_cost_per_token, dl.output_cost_per_token) AS output_price,
        coalesce(dm.cache_read_input_token_cost, dl.cache_read_input_token_cost) AS cache_read_price,
        coalesce(dm.cache_creation_input_token_cost, dl.cache_creation_input_token_cost) AS cache_creation_price
    FROM marts.team_model_usage_daily AS u
    LEFT JOIN staging.models AS dm ON dm.model = u.model
    LEFT JOIN staging.models AS dl ON dl.litellm_model = u.model
),
priced AS NOT MATERIALIZED (
    SELECT
        u.*,
        greatest(u.prompt_tokens - u.cache_read_input_tokens - u.cache_creation_input_tokens, 0) * u.input_price
        + u.cache_read_input_tokens * coalesce(u.cache_read_price, u.input_price)
        + u.cache_creation_input_tokens * coalesce(u.cache_creation_price, u.input_price)
        + u.completion_tokens * u.output_price AS list_price_cost
    FROM u
)
SELECT
    priced.date,
    priced.team_id,
    priced.team_alias,
    priced.model,
    priced.model_group,
    priced.provider,
    priced.spend,
    priced.prompt_tokens,
    priced.completion_tokens,
    priced.cache_read_input_tokens,
    priced.cache_creation_input_tokens,
    priced.total_tokens,
    priced.successful_requests,
    CASE WHEN priced.total_tokens > 0 THEN priced.spend / priced.total_tokens * 1000 END AS spend_per_1k_tokens,
    CASE WHEN priced.spend > 0 THEN priced.total_tokens / priced.spend END AS tokens_per_usd,
    CASE WHEN priced.successful_requests > 0 THEN priced.spend / priced.successful_requests END
        AS spend_per_successful_request,
    CASE WHEN priced.prompt_tokens > 0 THEN priced.cache_read_input_tokens / priced.prompt_tokens END
        AS cache_read_share,
    priced.list_price_cost,
    priced.list_price_cost - priced.spend AS list_price_savings
FROM priced
