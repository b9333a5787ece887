-- description: Per day, the public model name and provider each provider model was served under, inferred from usage data: daily-activity key cells where a key used exactly one model, one model group and one provider in a page result, and spend logs (model, model_group, custom_llm_provider). The pairing with the most requests wins. Fallback for models missing from /v2/model/info.
-- grain: date, model
-- partition_column: date
-- column date: UTC day.
-- column model: Provider model name.
-- column model_group: Public model name most requests of this model were served under on this day.
-- column provider: Provider most requests of this model were served by on this day (NULL when unknown).
-- column evidence_requests: Requests supporting the chosen pairing.
WITH pages AS NOT MATERIALIZED (
    SELECT
        p.partition_date,
        p.scope,
        p.page,
        json_transform(
            p.payload,
            '{"results": [{"date": "VARCHAR", "breakdown": {'
            || '"models": "MAP(VARCHAR, STRUCT(api_key_breakdown MAP(VARCHAR, STRUCT(metrics STRUCT(api_requests BIGINT)))))", '
            || '"model_groups": "MAP(VARCHAR, STRUCT(api_key_breakdown MAP(VARCHAR, STRUCT(metrics STRUCT(api_requests BIGINT)))))", '
            || '"providers": "MAP(VARCHAR, STRUCT(api_key_breakdown MAP(VARCHAR, STRUCT(metrics STRUCT(api_requests BIGINT)))))"'
            || '}}]}'
        ) AS j
    FROM raw.team_daily_activity AS p
),
results AS NOT MATERIALIZED (
    SELECT
        pages.partition_date,
        pages.scope,
        pages.page,
        unnest(pages.j.results) AS r,
        generate_subscripts(pages.j.results, 1) AS ridx
    FROM pages
),
kinds AS NOT MATERIALIZED (
    SELECT results.partition_date, results.scope, results.page, results.ridx,
        unnest([
            {'kind': 'models', 'entries': map_entries(results.r.breakdown.models)},
            {'kind': 'model_groups', 'entries': map_entries(results.r.breakdown.model_groups)},
            {'kind': 'providers', 'entries': map_entries(results.r.breakdown.providers)}
        ]) AS kb
    FROM results
    WHERE results.r.date = strftime(results.partition_date, '%Y-%m-%d')
),
typed_buckets AS NOT MATERIALIZED (
    SELECT kinds.partition_date, kinds.scope, kinds.page, kinds.ridx, kinds.kb.kind AS kind,
        unnest(kinds.kb.entries) AS b
    FROM kinds
),
key_cells_raw AS NOT MATERIALIZED (
    SELECT typed_buckets.partition_date, typed_buckets.scope, typed_buckets.page, typed_buckets.ridx,
        typed_buckets.kind, typed_buckets.b.key AS bucket,
        unnest(map_entries(typed_buckets.b.value.api_key_breakdown)) AS k
    FROM typed_buckets
),
key_cells AS NOT MATERIALIZED (
    SELECT key_cells_raw.partition_date, key_cells_raw.scope, key_cells_raw.page, key_cells_raw.ridx,
        key_cells_raw.kind, key_cells_raw.bucket, key_cells_raw.k.key AS api_key,
        coalesce(key_cells_raw.k.value.metrics.api_requests, 0) AS api_requests
    FROM key_cells_raw
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
