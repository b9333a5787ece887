CREATE TABLE IF NOT EXISTS raw.team_daily_activity (
    partition_date DATE NOT NULL,
    scope VARCHAR NOT NULL,
    team_id VARCHAR,
    page INTEGER NOT NULL,
    total_pages INTEGER,
    endpoint VARCHAR NOT NULL,
    request_params JSON,
    payload JSON NOT NULL,
    payload_bytes BIGINT NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE raw.team_daily_activity IS 'One row per /team/daily/activity page, exactly as received. Reloaded per partition_date.';
COMMENT ON COLUMN raw.team_daily_activity.partition_date IS 'UTC day the page was requested for (start_date = end_date).';
COMMENT ON COLUMN raw.team_daily_activity.scope IS '''team:<team_id>'' or ''unassigned'' (traffic outside the known teams).';
COMMENT ON COLUMN raw.team_daily_activity.team_id IS 'Team the scope was filtered to; NULL for the unassigned scope.';
COMMENT ON COLUMN raw.team_daily_activity.page IS 'Page number requested (1-based).';
COMMENT ON COLUMN raw.team_daily_activity.total_pages IS 'metadata.total_pages reported by LiteLLM for this page.';
COMMENT ON COLUMN raw.team_daily_activity.endpoint IS 'Route path the page was read from.';
COMMENT ON COLUMN raw.team_daily_activity.request_params IS 'Query parameters sent (never the API key).';
COMMENT ON COLUMN raw.team_daily_activity.payload IS 'Response body exactly as received.';
COMMENT ON COLUMN raw.team_daily_activity.payload_bytes IS 'Size of the response body in bytes.';
COMMENT ON COLUMN raw.team_daily_activity.extracted_at IS 'When the extraction that produced this row started (UTC).';
COMMENT ON COLUMN raw.team_daily_activity.run_id IS 'Identifier of the run that loaded this row.';
