-- description: API key dimension: keys from /key/list (active and deleted), plus keys only seen in daily activity with their KeyMetadata as fallback.
-- grain: token
-- column token: Key hash (sha256 hex of the virtual key).
-- column key_alias: Key alias from /key/list, else the latest KeyMetadata.key_alias from daily activity.
-- column team_id: Owning team from /key/list, else the latest KeyMetadata.team_id, else 'Unassigned'.
-- column user_id: Owning user from /key/list, else KeyMetadata.user_id.
-- column is_deleted: True when /key/list reports the key only as deleted, or daily activity says key_exists = false.
-- column in_key_list: True when /key/list returned the key (active or deleted).
WITH listed AS NOT MATERIALIZED (
    SELECT
        k.token,
        arg_max(nullif(k.payload ->> 'key_alias', ''), k.extracted_at) AS key_alias,
        arg_max(nullif(k.payload ->> 'team_id', ''), k.extracted_at) AS team_id,
        arg_max(nullif(k.payload ->> 'user_id', ''), k.extracted_at) AS user_id,
        bool_and(k.status = 'deleted') AS is_deleted
    FROM raw.keys AS k
    WHERE k.token IS NOT NULL AND k.token <> ''
    GROUP BY k.token
),
seen AS NOT MATERIALIZED (
    SELECT
        a.api_key AS token,
        arg_max(a.key_alias, a.date) FILTER (WHERE a.key_alias IS NOT NULL) AS key_alias,
        arg_max(a.key_team_id, a.date) FILTER (WHERE a.key_team_id IS NOT NULL) AS team_id,
        arg_max(a.key_user_id, a.date) FILTER (WHERE a.key_user_id IS NOT NULL) AS user_id,
        arg_max(a.key_exists, a.date) FILTER (WHERE a.key_exists IS NOT NULL) AS key_exists
    FROM staging.daily_activity AS a
    GROUP BY a.api_key
)
SELECT
    coalesce(listed.token, seen.token) AS token,
    coalesce(listed.key_alias, seen.key_alias) AS key_alias,
    coalesce(listed.team_id, seen.team_id, 'Unassigned') AS team_id,
    coalesce(listed.user_id, seen.user_id) AS user_id,
    coalesce(listed.is_deleted, FALSE) OR coalesce(NOT seen.key_exists, FALSE) AS is_deleted,
    listed.token IS NOT NULL AS in_key_list
FROM listed
FULL OUTER JOIN seen ON listed.token = seen.token
