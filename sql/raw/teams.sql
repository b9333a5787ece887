CREATE TABLE IF NOT EXISTS raw.teams (
    team_id VARCHAR NOT NULL,
    payload JSON NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE raw.teams IS 'Snapshot of /v2/team/list, one row per team as received; replaced whole on every load.';
COMMENT ON COLUMN raw.teams.team_id IS 'LiteLLM team id.';
COMMENT ON COLUMN raw.teams.payload IS 'The team object as received.';
COMMENT ON COLUMN raw.teams.extracted_at IS 'When the snapshot was extracted (UTC).';
COMMENT ON COLUMN raw.teams.run_id IS 'Identifier of the run that loaded this row.';
