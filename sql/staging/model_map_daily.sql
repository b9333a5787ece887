-- description: Per day, the public model name and provider each provider model was served under, inferred from usage data: daily-activity key cells where a key used exactly one model, one model group and one provider in a page result, and spend logs (model, model_group, custom_llm_provider). The pairing with the most requests wins. Fallback for models missing from /v2/model/info.
-- grain: date, model
-- partition_column: date
-- column date: UTC day.
-- column model: Provider model name.
-- column model_group: Public model name most requests of this model were served under on this day.
-- column provider: Provider most requests of this model were served by on this day (NULL when unknown).
-- column evidence_requests: Requests supporting the chosen pairing.
WITH results AS NOT MATERIALIZED (
    SELECT p.partition_date, p.scope, p.page, r.key AS ridx, r.value AS result
    FROM raw.team_daily_activity AS p, json_each(p.payload, '$.results') AS r
    WHERE r.value ->> 'date' = strftime(p.partition_date, '%Y-%m-%d')
),
key_cells AS NOT MATERIALIZED (
    SELECT
        results.partition_date,
        results.scope,
        results.page,
        results.ridx,
        bd.kind,
        b.key AS bucket,
        k.key AS api_key,
        coalesce(TRY_CAST(k.value -> 'metrics' ->> 'api_requests' AS BIGINT), 0) AS api_requests
    FROM results,
        (VALUES ('models'), ('model_groups'), ('providers')) AS bd(kind),
        json_each(results.result -> 'breakdown' -> bd.kind) AS b,
        json_each(b.value, '$.api_key_breakdown') AS k
),
per_key AS NOT MATERIALIZED (
    SELECT
        key_cells.partition_date,
        max(key_cells.bucket) FILTER (WHERE key_cells.kind = 'models') AS model,
        max(key_cells.bucket) FILTER (WHERE key_cells.kind = 'model_groups') AS model_group,
        max(key_cells.bucket) FILTER (WHERE key_cells.kind = 'providers') AS provider,
        max(key_cells.api_requests) AS api_requests
    FROM key_cells
    GROUP BY key_cells.partition_date, key_cells.scope, key_cells.page, key_cells.ridx, key_cells.api_key
    HAVING
        count(*) FILTER (WHERE key_cells.kind = 'models') = 1
        AND count(*) FILTER (WHERE key_cells.kind = 'model_groups') = 1
        AND count(*) FILTER (WHERE key_cells.kind = 'providers') <= 1
),
pairings AS NOT MATERIALIZED (
    SELECT per_key.partition_date AS date, per_key.model, per_key.model_group, per_key.provider,
        per_key.api_requests AS requests
    FROM per_key
    WHERE per_key.model_group NOT IN ('unknown-model-group', '')
    UNION ALL
    SELECT s.date, s.model, s.model_group, s.provider, 1
    FROM staging.spend_logs AS s
),
weighted AS NOT MATERIALIZED (
    SELECT pairings.date, pairings.model, pairings.model_group, pairings.provider, sum(pairings.requests) AS requests
    FROM pairings
    WHERE pairings.model IS NOT NULL AND pairings.model_group IS NOT NULL
    GROUP BY pairings.date, pairings.model, pairings.model_group, pairings.provider
)
SELECT
    weighted.date,
    weighted.model,
    arg_max(weighted.model_group, (weighted.requests, weighted.model_group)) AS model_group,
    arg_max(weighted.provider, (weighted.requests, weighted.model_group)) AS provider,
    CAST(max(weighted.requests) AS BIGINT) AS evidence_requests
FROM weighted
GROUP BY weighted.date, weighted.model
