CREATE TABLE IF NOT EXISTS raw.keys (
    token VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    payload JSON NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE raw.keys IS 'Snapshot of /key/list (active and deleted keys), one row per key as received; replaced whole on every load.';
COMMENT ON COLUMN raw.keys.token IS 'Hash of the virtual key (never the key itself).';
COMMENT ON COLUMN raw.keys.status IS '''active'' or ''deleted''.';
COMMENT ON COLUMN raw.keys.payload IS 'The key object as received.';
COMMENT ON COLUMN raw.keys.extracted_at IS 'When the snapshot was extracted (UTC).';
COMMENT ON COLUMN raw.keys.run_id IS 'Identifier of the run that loaded this row.';
