CREATE TABLE IF NOT EXISTS raw.spend_logs (
    request_id VARCHAR NOT NULL,
    start_time TIMESTAMPTZ NOT NULL,
    partition_date DATE NOT NULL,
    payload JSON NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE raw.spend_logs IS 'One row per request from /spend/logs/v2, deduplicated on request_id at load. Reloaded per partition_date.';
COMMENT ON COLUMN raw.spend_logs.request_id IS 'LiteLLM request id (unique in this table).';
COMMENT ON COLUMN raw.spend_logs.start_time IS 'Request start (startTime), UTC.';
COMMENT ON COLUMN raw.spend_logs.partition_date IS 'UTC day of start_time.';
COMMENT ON COLUMN raw.spend_logs.payload IS 'The spend-log row as received.';
COMMENT ON COLUMN raw.spend_logs.extracted_at IS 'When the extraction that produced this row started (UTC).';
COMMENT ON COLUMN raw.spend_logs.run_id IS 'Identifier of the run that loaded this row.';
