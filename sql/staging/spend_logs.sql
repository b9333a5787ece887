-- description: One typed row per LiteLLM request from /spend/logs/v2, deduplicated on request_id (latest extraction wins).
-- grain: request_id
-- partition_column: date
-- column request_id: LiteLLM request id (cache hits look like '<id>_cache_hit<epoch>').
-- column date: UTC day of start_time (raw partition_date).
-- column start_time: Request start (UTC).
-- column end_time: Request end (UTC); NULL when unparseable.
-- column hour: UTC hour start of start_time.
-- column team_id: Team id; '' or NULL -> 'Unassigned'.
-- column api_key: Key hash ('' when the request had no key).
-- column key_alias: metadata.user_api_key_alias.
-- column model: Provider model name as logged.
-- column model_group: Public model name (NULL when not logged).
-- column provider: custom_llm_provider (NULL when empty).
-- column status: 'success' or 'failure': the status field, else metadata.status, else 'success' (older rows).
-- column is_success: status <> 'failure'.
-- column spend: Spend in USD.
-- column prompt_tokens: Prompt tokens.
-- column completion_tokens: Completion tokens.
-- column total_tokens: Total tokens as logged.
-- column cache_read_input_tokens: metadata.additional_usage_values.cache_read_input_tokens, else prompt_tokens_details.cached_tokens, else 0.
-- column cache_creation_input_tokens: metadata.additional_usage_values.cache_creation_input_tokens, else 0.
-- column request_tags: Request tags; accepts a JSON array or a JSON-encoded string of one.
-- column cache_hit: cache_hit string parsed: 'True' -> true, 'False' -> false, 'None'/''/NULL -> NULL.
-- column latency_ms: request_duration_ms, else end_time - start_time in ms.
-- column error_code: metadata.error_information.error_code for failures (NULL otherwise).
-- column call_type: LiteLLM call type, e.g. 'acompletion'.
-- column user_id: Internal user id ('user' field; NULL when empty).
WITH src AS NOT MATERIALIZED (
    SELECT
        s.partition_date,
        s.start_time AS raw_start_time,
        s.extracted_at,
        s.request_id,
        json_transform(
            s.payload,
            '{"api_key": "VARCHAR", "spend": "DOUBLE", "prompt_tokens": "BIGINT", "completion_tokens": "BIGINT", '
            || '"total_tokens": "BIGINT", "startTime": "VARCHAR", "endTime": "VARCHAR", "model": "VARCHAR", '
            || '"model_group": "VARCHAR", "custom_llm_provider": "VARCHAR", "user": "VARCHAR", "metadata": "JSON", '
            || '"cache_hit": "VARCHAR", "request_tags": "JSON", "team_id": "VARCHAR", "status": "VARCHAR", '
            || '"request_duration_ms": "DOUBLE", "call_type": "VARCHAR"}'
        ) AS j
    FROM raw.spend_logs AS s
),
typed AS NOT MATERIALIZED (
    SELECT
        src.*,
        json_transform(
            CASE
                WHEN starts_with(CAST(src.j.metadata AS VARCHAR), '"') THEN src.j.metadata ->> '$'
                ELSE CAST(src.j.metadata AS VARCHAR)
            END,
            '{"user_api_key_alias": "VARCHAR", "status": "VARCHAR", "error_information": '
            || '{"error_code": "VARCHAR"}, "additional_usage_values": {"cache_read_input_tokens": "BIGINT", '
            || '"cache_creation_input_tokens": "BIGINT", "prompt_tokens_details": {"cached_tokens": "BIGINT"}}}'
        ) AS md,
        coalesce(src.raw_start_time, TRY_CAST(src.j.startTime AS TIMESTAMPTZ)) AS start_ts,
        TRY_CAST(src.j.endTime AS TIMESTAMPTZ) AS end_ts
    FROM src
),
statused AS NOT MATERIALIZED (
    SELECT
        typed.*,
        coalesce(nullif(typed.j.status, ''), nullif(typed.md.status, ''), 'success') AS status_norm
    FROM typed
)
SELECT
    typed.request_id,
    typed.partition_date AS date,
    typed.start_ts AS start_time,
    typed.end_ts AS end_time,
    timezone('UTC', date_trunc('hour', timezone('UTC', typed.start_ts))) AS hour,
    coalesce(nullif(typed.j.team_id, ''), 'Unassigned') AS team_id,
    coalesce(typed.j.api_key, '') AS api_key,
    nullif(typed.md.user_api_key_alias, '') AS key_alias,
    typed.j.model AS model,
    nullif(typed.j.model_group, '') AS model_group,
    nullif(typed.j.custom_llm_provider, '') AS provider,
    typed.status_norm AS status,
    typed.status_norm <> 'failure' AS is_success,
    coalesce(typed.j.spend, 0) AS spend,
    coalesce(typed.j.prompt_tokens, 0) AS prompt_tokens,
    coalesce(typed.j.completion_tokens, 0) AS completion_tokens,
    coalesce(typed.j.total_tokens, 0) AS total_tokens,
    CAST(coalesce(
        typed.md.additional_usage_values.cache_read_input_tokens,
        typed.md.additional_usage_values.prompt_tokens_details.cached_tokens,
        0
    ) AS BIGINT) AS cache_read_input_tokens,
    CAST(coalesce(typed.md.additional_usage_values.cache_creation_input_tokens, 0) AS BIGINT)
        AS cache_creation_input_tokens,
    coalesce(
        CASE
            WHEN starts_with(CAST(typed.j.request_tags AS VARCHAR), '"')
                THEN TRY_CAST(TRY_CAST(typed.j.request_tags ->> '$' AS JSON) AS VARCHAR[])
            ELSE TRY_CAST(typed.j.request_tags AS VARCHAR[])
        END,
        CAST([] AS VARCHAR[])
    ) AS request_tags,
    CASE lower(coalesce(typed.j.cache_hit, ''))
        WHEN 'true' THEN TRUE
        WHEN 'false' THEN FALSE
    END AS cache_hit,
    coalesce(
        typed.j.request_duration_ms, CAST(epoch_ms(typed.end_ts) - epoch_ms(typed.start_ts) AS DOUBLE)
    ) AS latency_ms,
    CASE WHEN typed.status_norm = 'failure' THEN nullif(typed.md.error_information.error_code, '') END AS error_code,
    typed.j.call_type AS call_type,
    nullif(typed.j.user, '') AS user_id
FROM statused AS typed
QUALIFY row_number() OVER (
    PARTITION BY typed.partition_date, typed.request_id ORDER BY typed.extracted_at DESC NULLS LAST
) = 1
