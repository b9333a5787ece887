-- description: Daily LiteLLM activity per entity (team) as LiteLLM buckets it in breakdown.entities, merged across pages; keeps the team alias LiteLLM attached, which is the only alias source for teams deleted from /v2/team/list.
-- grain: date, team_id
-- partition_column: date
-- column date: UTC day (raw partition_date).
-- column team_id: Entity id LiteLLM reported ('Unassigned' for requests without a team).
-- column team_alias: metadata.team_alias LiteLLM attached to the entity (NULL when the team no longer exists).
-- column spend: Spend in USD, summed across pages.
-- column api_requests: Requests counted by LiteLLM.
WITH results AS NOT MATERIALIZED (
    SELECT p.partition_date, r.value AS result
    FROM raw.team_daily_activity AS p, json_each(p.payload, '$.results') AS r
    WHERE r.value ->> 'date' = strftime(p.partition_date, '%Y-%m-%d')
),
entities AS NOT MATERIALIZED (
    SELECT
        results.partition_date,
        coalesce(nullif(e.key, ''), 'Unassigned') AS team_id,
        nullif(e.value -> 'metadata' ->> 'team_alias', '') AS team_alias,
        json_transform(e.value -> 'metrics', '{"spend": "DOUBLE", "api_requests": "BIGINT"}') AS m
    FROM results, json_each(results.result, '$.breakdown.entities') AS e
)
SELECT
    entities.partition_date AS date,
    entities.team_id,
    max(entities.team_alias) AS team_alias,
    sum(coalesce(entities.m.spend, 0)) AS spend,
    CAST(sum(coalesce(entities.m.api_requests, 0)) AS BIGINT) AS api_requests
FROM entities
GROUP BY entities.partition_date, entities.team_id
