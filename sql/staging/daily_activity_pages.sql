-- description: One row per fetched daily-activity page with LiteLLM's per-page metadata totals, for reconciliation and page-completeness checks.
-- grain: date, scope, page
-- partition_column: date
-- column date: UTC day the page was requested for (raw partition_date).
-- column scope: Extraction scope: 'team:<team_id>' or 'unassigned'.
-- column scope_team_id: Team id of a 'team:' scope; NULL for the unassigned scope.
-- column page: Page number as requested (1-based).
-- column total_pages: total_pages reported by LiteLLM on this page.
-- column has_more: has_more reported by LiteLLM on this page.
-- column result_count: Number of entries in results[] on this page.
-- column off_partition_results: Entries in results[] whose date differs from the partition day (should be 0).
-- column total_spend: metadata.total_spend of this page only (USD).
-- column total_prompt_tokens: metadata.total_prompt_tokens of this page only.
-- column total_completion_tokens: metadata.total_completion_tokens of this page only.
-- column total_tokens: metadata.total_tokens of this page only.
-- column total_api_requests: metadata.total_api_requests of this page only.
-- column total_successful_requests: metadata.total_successful_requests of this page only.
-- column total_failed_requests: metadata.total_failed_requests of this page only.
-- column total_cache_read_input_tokens: metadata.total_cache_read_input_tokens of this page only (0 when absent).
-- column total_cache_creation_input_tokens: metadata.total_cache_creation_input_tokens of this page only (0 when absent).
-- column extracted_at: When the page was fetched.
-- column run_id: Extraction run that fetched the page.
WITH pages AS NOT MATERIALIZED (
    SELECT
        p.partition_date,
        p.scope,
        p.team_id,
        p.page,
        p.total_pages,
        p.extracted_at,
        p.run_id,
        json_transform(
            p.payload,
            '{"results": [{"date": "VARCHAR"}], "metadata": {"total_spend": "DOUBLE", "total_prompt_tokens": "BIGINT", '
            || '"total_completion_tokens": "BIGINT", "total_tokens": "BIGINT", "total_api_requests": "BIGINT", '
            || '"total_successful_requests": "BIGINT", "total_failed_requests": "BIGINT", '
            || '"total_cache_read_input_tokens": "BIGINT", "total_cache_creation_input_tokens": "BIGINT", '
            || '"total_pages": "BIGINT", "has_more": "BOOLEAN"}}'
        ) AS j
    FROM raw.team_daily_activity AS p
)
SELECT
    pages.partition_date AS date,
    pages.scope,
    pages.team_id AS scope_team_id,
    pages.page,
    CAST(coalesce(pages.j.metadata.total_pages, pages.total_pages) AS INTEGER) AS total_pages,
    coalesce(pages.j.metadata.has_more, FALSE) AS has_more,
    CAST(coalesce(len(pages.j.results), 0) AS BIGINT) AS result_count,
    CAST(coalesce(
        len(list_filter(
            pages.j.results, lambda r: r.date IS DISTINCT FROM strftime(pages.partition_date, '%Y-%m-%d')
        )),
        0
    ) AS BIGINT) AS off_partition_results,
    coalesce(pages.j.metadata.total_spend, 0) AS total_spend,
    coalesce(pages.j.metadata.total_prompt_tokens, 0) AS total_prompt_tokens,
    coalesce(pages.j.metadata.total_completion_tokens, 0) AS total_completion_tokens,
    coalesce(pages.j.metadata.total_tokens, 0) AS total_tokens,
    coalesce(pages.j.metadata.total_api_requests, 0) AS total_api_requests,
    coalesce(pages.j.metadata.total_successful_requests, 0) AS total_successful_requests,
    coalesce(pages.j.metadata.total_failed_requests, 0) AS total_failed_requests,
    coalesce(pages.j.metadata.total_cache_read_input_tokens, 0) AS total_cache_read_input_tokens,
    coalesce(pages.j.metadata.total_cache_creation_input_tokens, 0) AS total_cache_creation_input_tokens,
    pages.extracted_at,
    pages.run_id
FROM pages
