-- description: Team dimension: teams from /v2/team/list, plus teams only seen in usage data (e.g. deleted teams, alias from daily-activity entity metadata when LiteLLM still had it), plus the 'Unassigned' row.
-- grain: team_id
-- column team_id: LiteLLM team id; 'Unassigned' for traffic without a team.
-- column team_alias: Team alias from /v2/team/list, else the latest alias seen in daily activity, else NULL.
-- column organization_id: Organization id from /v2/team/list (NULL when unknown).
-- column in_team_list: True when /v2/team/list returned the team (false: deleted/unknown team or 'Unassigned').
-- column first_seen_date: First UTC day with daily activity for the team (NULL when none).
-- column last_seen_date: Last UTC day with daily activity for the team (NULL when none).
WITH listed AS NOT MATERIALIZED (
    SELECT
        t.team_id,
        arg_max(nullif(t.payload ->> 'team_alias', ''), t.extracted_at) AS team_alias,
        arg_max(nullif(t.payload ->> 'organization_id', ''), t.extracted_at) AS organization_id
    FROM raw.teams AS t
    WHERE t.team_id IS NOT NULL AND t.team_id <> ''
    GROUP BY t.team_id
),
seen AS NOT MATERIALIZED (
    SELECT
        e.team_id,
        arg_max(e.team_alias, e.date) FILTER (WHERE e.team_alias IS NOT NULL) AS team_alias,
        min(e.date) AS first_seen_date,
        max(e.date) AS last_seen_date
    FROM staging.daily_team_entities AS e
    GROUP BY e.team_id
    UNION ALL
    SELECT a.team_id, NULL, min(a.date), max(a.date)
    FROM staging.daily_activity AS a
    GROUP BY a.team_id
    UNION ALL
    SELECT s.team_id, NULL, NULL, NULL
    FROM (SELECT DISTINCT team_id FROM staging.spend_logs) AS s
    UNION ALL
    SELECT 'Unassigned', 'Unassigned', NULL, NULL
),
seen_agg AS NOT MATERIALIZED (
    SELECT
        seen.team_id,
        max(seen.team_alias) AS team_alias,
        min(seen.first_seen_date) AS first_seen_date,
        max(seen.last_seen_date) AS last_seen_date
    FROM seen
    GROUP BY seen.team_id
)
SELECT
    coalesce(listed.team_id, seen_agg.team_id) AS team_id,
    coalesce(listed.team_alias, seen_agg.team_alias) AS team_alias,
    listed.organization_id,
    listed.team_id IS NOT NULL AS in_team_list,
    seen_agg.first_seen_date,
    seen_agg.last_seen_date
FROM listed
FULL OUTER JOIN seen_agg ON listed.team_id = seen_agg.team_id
