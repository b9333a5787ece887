-- description: Model dimension from /v2/model/info: one row per provider model name with its public name, provider and list prices (deployments of the same model are collapsed; the lowest model_group name wins).
-- grain: model
-- column model: Provider model name: litellm_params.model without its 'provider/' prefix.
-- column litellm_model: litellm_params.model as configured (may carry the 'provider/' prefix).
-- column model_group: Public model name (model_name).
-- column provider: model_info.litellm_provider, else the litellm_params.model prefix.
-- column input_cost_per_token: List price per prompt token (USD), NULL when unknown.
-- column output_cost_per_token: List price per completion token (USD), NULL when unknown.
-- column cache_read_input_token_cost: List price per cache-read prompt token (USD), NULL when unknown.
-- column cache_creation_input_token_cost: List price per cache-creation prompt token (USD), NULL when unknown.
-- column deployments: Number of deployments (model ids) serving this model.
WITH deployments AS NOT MATERIALIZED (
    SELECT
        m.model_name AS model_group,
        m.model_id,
        m.payload -> 'litellm_params' ->> 'model' AS litellm_model,
        nullif(m.payload -> 'model_info' ->> 'litellm_provider', '') AS info_provider,
        TRY_CAST(m.payload -> 'model_info' ->> 'input_cost_per_token' AS DOUBLE) AS input_cost_per_token,
        TRY_CAST(m.payload -> 'model_info' ->> 'output_cost_per_token' AS DOUBLE) AS output_cost_per_token,
        TRY_CAST(m.payload -> 'model_info' ->> 'cache_read_input_token_cost' AS DOUBLE)
            AS cache_read_input_token_cost,
        TRY_CAST(m.payload -> 'model_info' ->> 'cache_creation_input_token_cost' AS DOUBLE)
            AS cache_creation_input_token_cost
    FROM raw.models AS m
),
named AS NOT MATERIALIZED (
    SELECT
        deployments.*,
        CASE
            WHEN strpos(deployments.litellm_model, '/') > 0
                THEN substr(deployments.litellm_model, strpos(deployments.litellm_model, '/') + 1)
            ELSE deployments.litellm_model
        END AS model,
        CASE
            WHEN strpos(deployments.litellm_model, '/') > 0
                THEN substr(deployments.litellm_model, 1, strpos(deployments.litellm_model, '/') - 1)
        END AS prefix_provider
    FROM deployments
    WHERE deployments.litellm_model IS NOT NULL AND deployments.litellm_model <> ''
)
SELECT
    named.model,
    min(named.litellm_model) AS litellm_model,
    min(named.model_group) AS model_group,
    coalesce(min(named.info_provider), min(named.prefix_provider)) AS provider,
    max(named.input_cost_per_token) AS input_cost_per_token,
    max(named.output_cost_per_token) AS output_cost_per_token,
    max(named.cache_read_input_token_cost) AS cache_read_input_token_cost,
    max(named.cache_creation_input_token_cost) AS cache_creation_input_token_cost,
    CAST(count(DISTINCT named.model_id) AS BIGINT) AS deployments
FROM named
GROUP BY named.model
