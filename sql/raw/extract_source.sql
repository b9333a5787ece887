CREATE TABLE IF NOT EXISTS raw.extract_source (
    source_url VARCHAR NOT NULL,
    is_demo BOOLEAN NOT NULL,
    first_loaded_at TIMESTAMPTZ NOT NULL,
    last_loaded_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE raw.extract_source IS 'LiteLLM sources this warehouse was loaded from; demo and real sources never mix.';
COMMENT ON COLUMN raw.extract_source.source_url IS 'Base URL of the LiteLLM gateway (without credentials).';
COMMENT ON COLUMN raw.extract_source.is_demo IS 'True for the bundled demo gateway (synthetic data).';
COMMENT ON COLUMN raw.extract_source.first_loaded_at IS 'First load from this source (UTC).';
COMMENT ON COLUMN raw.extract_source.last_loaded_at IS 'Latest load from this source (UTC).';
