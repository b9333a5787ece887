CREATE TABLE IF NOT EXISTS raw.models (
    model_name VARCHAR NOT NULL,
    model_id VARCHAR,
    payload JSON NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE raw.models IS 'Snapshot of /v2/model/info, one row per deployment as received; replaced whole on every load.';
COMMENT ON COLUMN raw.models.model_name IS 'Public model name clients request.';
COMMENT ON COLUMN raw.models.model_id IS 'Deployment id (model_info.id); NULL when LiteLLM reports none.';
COMMENT ON COLUMN raw.models.payload IS 'The model object as received.';
COMMENT ON COLUMN raw.models.extracted_at IS 'When the snapshot was extracted (UTC).';
COMMENT ON COLUMN raw.models.run_id IS 'Identifier of the run that loaded this row.';
