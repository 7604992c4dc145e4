-- A failed file sent back to the inbox by `cacsd retry`, with why it had
-- failed: the report beside the file is removed, so this row keeps it.

-- +goose Up

CREATE TABLE file_retry (
    id         bigserial PRIMARY KEY,
    file_name  text NOT NULL,
    sha256     text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    reason     text NOT NULL DEFAULT '',
    report     jsonb,
    retried_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX file_retry_sha256_idx ON file_retry (sha256);

-- +goose Down

DROP TABLE file_retry;
