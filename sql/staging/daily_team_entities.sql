-- description: Daily LiteLLM activity per entity (team) as LiteLLM buckets it in breakdown.entities, merged across pages; keeps the team alias LiteLLM attached, which is the only alias source for teams deleted from /v2/team/list.
-- grain: date, team_id
-- partition_column: date
-- column date: UTC day (raw partition_date).
-- column team_id: Entity id LiteLLM reported ('Unassigned' for requests without a team).
-- column team_alias: metadata.team_alias LiteLLM attached to the entity (NULL when the team no longer exists).
-- column spend: Spend in USD, summed across pages.
-- column api_requests: Requests counted by LiteLLM.
WITH pages AS NOT MATERIALIZED (
    SELECT
        p.partition_date,
        json_transform(
            p.payload,
            '{"results": [{"date": "VARCHAR", "breakdown": {"entities": "MAP(VARCHAR, STRUCT('
            || 'metrics STRUCT(spend DOUBLE, api_requests BIGINT), metadata STRUCT(team_alias VARCHAR)))"}}]}'
        ) AS j
    FROM raw.team_daily_activity AS p
),
results AS NOT MATERIALIZED (
    SELECT pages.partition_date, unnest(pages.j.results) AS r
    FROM pages
),
entities AS NOT MATERIALIZED (
    SELECT results.partition_date, unnest(map_entries(results.r.breakdown.entities)) AS e
    FROM results
    WHERE results.r.date = strftime(results.partition_date, '%Y-%m-%d')
)
SELECT
    entities.partition_date AS date,
    coalesce(nullif(entities.e.key, ''), 'Unassigned') AS team_id,
    max(nullif(entities.e.value.metadata.team_alias, '')) AS team_alias,
    sum(coalesce(entities.e.value.metrics.spend, 0)) AS spend,
    CAST(sum(coalesce(entities.e.value.metrics.api_requests, 0)) AS BIGINT) AS api_requests
FROM entities
GROUP BY entities.partition_date, coalesce(nullif(entities.e.key, ''), 'Unassigned')
